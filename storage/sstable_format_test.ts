/**
 * Tests of the SSTable byte format: the worked examples of `FORMAT.md`, in format 2 and in
 * format 1, encoded byte for byte (golden bytes) and read back, integer encodings against
 * fast-check inputs, and single-bit corruption at every offset of both example files, which must
 * always surface as a corruption error.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { StorageError } from "./engine.ts";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import {
  ByteReader,
  FOOTER_BYTES,
  getUint64,
  loadHasher,
  pushVarint,
  setUint64,
  SSTABLE_FORMAT_VERSION,
  SSTABLE_FORMAT_VERSION_1,
  SSTABLE_MAGIC,
  type SstableFormatVersion,
} from "./sstable_format.ts";
import { SstableWriter } from "./sstable_writer.ts";
import { SstableReader } from "./sstable_reader.ts";
import { MemoryReadableFile, MemoryWritableFile } from "./testing/table_files.ts";

const encoder = new TextEncoder();

const EXAMPLE_ENTRIES: InternalEntry[] = [
  {
    userKey: encoder.encode("apple"),
    sequence: 2,
    kind: EntryKind.Put,
    value: encoder.encode("red"),
  },
  {
    userKey: encoder.encode("apple"),
    sequence: 1,
    kind: EntryKind.Delete,
    value: new Uint8Array(),
  },
  {
    userKey: encoder.encode("apricot"),
    sequence: 3,
    kind: EntryKind.Put,
    value: encoder.encode("ok"),
  },
];

/** The worked example of FORMAT.md, section "SSTable worked example". */
const EXAMPLE_HEX = `
00 05 03 01 02 61 70 70 6c 65 72 65 64 05 00 00
00 01 02 05 02 01 03 72 69 63 6f 74 6f 6b 00 00
00 00 01 00 00 00 01 c1 1f 2e 21 c0 01 00 b0 3f
00 06 00 07 02 bb a2 e0 e0 07 61 70 72 69 63 6f
74 03 00 26 01 00 00 00 04 26 e8 fc a4 02 00 00
00 03 00 00 00 00 00 00 00 01 00 00 00 00 00 00
00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00
00 03 00 00 00 00 00 00 00 11 00 00 00 00 00 00
00 05 00 00 00 00 00 00 00 02 00 00 00 00 00 00
00 03 00 00 00 00 00 00 00 05 00 00 00 07 00 00
00 61 70 70 6c 65 61 70 72 69 63 6f 74 03 d7 c1
b9 54 07 61 70 72 69 63 6f 74 03 2b 09 39 0f 01
00 00 00 05 21 5c 23 a9 00 00 00 00 00 00 00 00
01 00 00 00 4d 00 00 00 00 00 00 00 60 00 00 00
b2 00 00 00 00 00 00 00 11 00 00 00 02 00 00 00
0c b7 b2 54 53 54 52 41 54 53 53 54`;

/** The example in format 1, section "SSTable version 1 worked example". */
const EXAMPLE_VERSION_1_HEX = `
00 05 03 01 02 61 70 70 6c 65 72 65 64 05 00 00
00 01 02 05 02 01 03 72 69 63 6f 74 6f 6b 00 00
00 00 01 00 00 00 01 c1 1f 2e 21 c0 01 00 b0 3f
00 06 00 07 02 bb a2 e0 e0 01 00 00 00 03 00 00
00 00 00 00 00 01 00 00 00 00 00 00 00 01 00 00
00 00 00 00 00 01 00 00 00 00 00 00 00 03 00 00
00 00 00 00 00 11 00 00 00 00 00 00 00 05 00 00
00 00 00 00 00 02 00 00 00 00 00 00 00 03 00 00
00 00 00 00 00 05 00 00 00 07 00 00 00 61 70 70
6c 65 61 70 72 69 63 6f 74 03 3b cf 7f f8 07 61
70 72 69 63 6f 74 03 00 26 01 00 00 00 04 26 e8
fc a4 2b 00 00 00 00 00 00 00 09 00 00 00 39 00
00 00 00 00 00 00 60 00 00 00 9e 00 00 00 00 00
00 00 0f 00 00 00 01 00 00 00 96 2f 46 d0 53 54
52 41 54 53 53 54`;

function parseHex(text: string): Uint8Array {
  const pairs = text.trim().split(/\s+/);
  return Uint8Array.from(pairs, (pair) => parseInt(pair, 16));
}

async function encodeExample(
  formatVersion: SstableFormatVersion = SSTABLE_FORMAT_VERSION,
): Promise<Uint8Array> {
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file, { formatVersion });
  for (const entry of EXAMPLE_ENTRIES) await writer.add(entry);
  await writer.finish();
  return file.bytes();
}

/** Extracts the hex dump lines ("0000: 00 05 ...") of one `##` section of FORMAT.md. */
function hexFromFormatDoc(markdown: string, heading: string): Uint8Array {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `FORMAT.md has no section "${heading}"`);
  const nextSection = markdown.indexOf("\n## ", start + 1);
  const section = markdown.slice(start, nextSection === -1 ? undefined : nextSection);
  const lines = section.split("\n").filter((line) => /^[0-9a-f]{4}: /.test(line));
  return parseHex(lines.map((line) => line.slice(6)).join(" "));
}

Deno.test("sstable format encodes the worked example byte for byte", async () => {
  const actual = await encodeExample();
  assert.equal(actual.length, 252);
  assert.deepEqual(actual, parseHex(EXAMPLE_HEX));
});

Deno.test("sstable format encodes the version 1 example byte for byte", async () => {
  const actual = await encodeExample(SSTABLE_FORMAT_VERSION_1);
  assert.equal(actual.length, 230);
  assert.deepEqual(actual, parseHex(EXAMPLE_VERSION_1_HEX));
});

Deno.test("sstable format worked examples match FORMAT.md", async () => {
  const markdown = await Deno.readTextFile(new URL("./FORMAT.md", import.meta.url));
  const documented = hexFromFormatDoc(markdown, "## SSTable worked example");
  assert.deepEqual(documented, parseHex(EXAMPLE_HEX));
  const documentedVersion1 = hexFromFormatDoc(markdown, "## SSTable version 1 worked example");
  assert.deepEqual(documentedVersion1, parseHex(EXAMPLE_VERSION_1_HEX));
});

Deno.test("sstable format reads both worked examples back", async () => {
  for (const hex of [EXAMPLE_HEX, EXAMPLE_VERSION_1_HEX]) {
    const reader = await SstableReader.open(new MemoryReadableFile(parseHex(hex)));
    const entries: InternalEntry[] = [];
    for await (const entry of reader.scan()) entries.push(entry);
    assert.deepEqual(entries, EXAMPLE_ENTRIES);
    assert.deepEqual((await reader.get(encoder.encode("apple"), 1)).entry, EXAMPLE_ENTRIES[1]);
    assert.equal(await reader.mayContain(encoder.encode("apricot")), true);
    assert.equal(reader.partitionCount, 1);
  }
});

Deno.test("sstable format footer ends with version and magic", async () => {
  for (const version of [SSTABLE_FORMAT_VERSION, SSTABLE_FORMAT_VERSION_1] as const) {
    const bytes = await encodeExample(version);
    const footer = bytes.subarray(bytes.length - FOOTER_BYTES);
    const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
    assert.equal(view.getUint32(36, true), version);
    assert.deepEqual(footer.subarray(44), SSTABLE_MAGIC);
  }
});

Deno.test("sstable format rejects an unknown version", async () => {
  const bytes = parseHex(EXAMPLE_HEX);
  const footer = bytes.subarray(bytes.length - FOOTER_BYTES);
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  view.setUint32(36, 3, true);
  // Recompute the footer checksum, which covers the version, so only the version is wrong.
  const hasher = await loadHasher();
  view.setUint32(40, hasher.h32Raw(footer.subarray(0, 40), 0) >>> 0, true);
  const error = await readWholeTable(bytes).then(() => undefined, (caught) => caught);
  assert.ok(error instanceof StorageError);
  assert.equal(error.kind, "corruption");
  assert.match(error.message, /unsupported format version 3/);
});

Deno.test("sstable format reports every flipped bit as corruption", async () => {
  for (const hex of [EXAMPLE_HEX, EXAMPLE_VERSION_1_HEX]) {
    const original = parseHex(hex);
    for (let offset = 0; offset < original.length; offset++) {
      for (const mask of [0x01, 0x80]) {
        const damaged = original.slice();
        damaged[offset]! ^= mask;
        const error = await readWholeTable(damaged).then(() => undefined, (caught) => caught);
        const where = `flip 0x${mask.toString(16)} at ${offset} of ${original.length}`;
        assert.ok(error instanceof StorageError, where);
        assert.equal(error.kind, "corruption");
        assert.equal(error.file, "example.sst");
        assert.ok(error.offset !== undefined);
        assert.ok(error.offset >= 0);
        assert.ok(error.offset < original.length);
      }
    }
  }
});

/** Opens a table and reads every block: each data and index block by a scan, each filter by a lookup. */
async function readWholeTable(bytes: Uint8Array): Promise<void> {
  const reader = await SstableReader.open(new MemoryReadableFile(bytes), {
    fileName: "example.sst",
  });
  for await (const _ of reader.scan()) {
    // Reading every block verifies every checksum.
  }
  await reader.mayContain(reader.properties.smallest.userKey);
}

Deno.test("sstable format rejects a truncated table", async () => {
  for (const hex of [EXAMPLE_HEX, EXAMPLE_VERSION_1_HEX]) {
    const bytes = parseHex(hex);
    for (const length of [0, 10, FOOTER_BYTES, bytes.length - 1]) {
      const error = await readWholeTable(bytes.subarray(0, length)).then(
        () => undefined,
        (caught) => caught,
      );
      assert.ok(error instanceof StorageError, `length ${length}`);
      assert.equal(error.kind, "corruption");
    }
  }
});

Deno.test("sstable format varint round-trips safe integers", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (value) => {
      const output: number[] = [];
      pushVarint(output, value);
      assert.ok(output.length <= 8);
      const reader = new ByteReader(Uint8Array.from(output), { fileName: "t", baseOffset: 0 });
      assert.equal(reader.varint("value"), value);
      assert.equal(reader.position, output.length);
    }),
  );
});

Deno.test("sstable format varint rejects truncation and overlong input", () => {
  const location = { fileName: "t", baseOffset: 100 };
  const truncated = new ByteReader(Uint8Array.of(0x80, 0x80), location);
  assert.throws(() => truncated.varint("value"), StorageError);
  const overlong = new ByteReader(new Uint8Array(9).fill(0xff), location);
  assert.throws(() => overlong.varint("value"), /varint is too long/);
});

Deno.test("sstable format u64 round-trips and rejects unsafe values", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (value) => {
      const view = new DataView(new ArrayBuffer(8));
      setUint64(view, 0, value);
      assert.equal(getUint64(view, 0), value);
      assert.equal(view.getBigUint64(0, true), BigInt(value));
    }),
  );
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, 2n ** 53n, true);
  assert.equal(getUint64(view, 0), undefined);
});
