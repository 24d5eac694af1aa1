/**
 * Tests of `SstableReader` against a model. fast-check generates sets of versions, and the writer
 * stores them with tiny blocks, so tables span many blocks and restart points. Every lookup and
 * scan is compared with a sorted array filtered by brute force.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { compareKeys, StorageError } from "./engine.ts";
import { compareInternal, EntryKind, type InternalEntry } from "./internal_key.ts";
import { SstableWriter, type SstableWriterOptions } from "./sstable_writer.ts";
import { SstableReader, type SstableReaderOptions } from "./sstable_reader.ts";
import { BlockCache } from "./block_cache.ts";
import { MemoryReadableFile, MemoryWritableFile } from "./testing/table_files.ts";

/** Keys from a small alphabet, so generated versions often share keys and prefixes. */
const userKeyArbitrary = fc.uint8Array({ minLength: 0, maxLength: 6, min: 0x61, max: 0x64 });

const entryArbitrary: fc.Arbitrary<InternalEntry> = fc.record({
  userKey: userKeyArbitrary,
  sequence: fc.integer({ min: 0, max: 60 }),
  kind: fc.constantFrom(EntryKind.Put, EntryKind.Delete),
  value: fc.uint8Array({ maxLength: 20 }),
}).map((entry) => ({
  ...entry,
  value: entry.kind === EntryKind.Delete ? new Uint8Array() : entry.value,
}));

/** Sorted versions with unique (user key, sequence) pairs, at least one. */
const tableArbitrary = fc.uniqueArray(entryArbitrary, {
  minLength: 1,
  maxLength: 120,
  size: "max",
  selector: (entry) => `${Array.from(entry.userKey).join(",")}@${entry.sequence}`,
}).map((entries) => entries.sort(compareInternal));

const optionsArbitrary: fc.Arbitrary<SstableWriterOptions> = fc.record({
  blockSizeBytes: fc.integer({ min: 1, max: 300 }),
  restartInterval: fc.integer({ min: 1, max: 5 }),
  // Tiny partitions, so tables have many and keys span them.
  partitionSizeBytes: fc.integer({ min: 1, max: 200 }),
  formatVersion: fc.constantFrom(1 as const, 2 as const),
});

async function writeTable(
  entries: readonly InternalEntry[],
  options: SstableWriterOptions = {},
): Promise<Uint8Array> {
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file, options);
  for (const entry of entries) await writer.add(entry);
  await writer.finish();
  return file.bytes();
}

async function openTable(
  entries: readonly InternalEntry[],
  writerOptions: SstableWriterOptions = {},
  readerOptions: SstableReaderOptions = {},
): Promise<SstableReader> {
  const bytes = await writeTable(entries, writerOptions);
  return SstableReader.open(new MemoryReadableFile(bytes), readerOptions);
}

async function collect(iterator: AsyncIterable<InternalEntry>): Promise<InternalEntry[]> {
  const result: InternalEntry[] = [];
  for await (const entry of iterator) result.push(entry);
  return result;
}

function modelGet(
  entries: readonly InternalEntry[],
  userKey: Uint8Array,
  maxSequence: number,
): InternalEntry | undefined {
  return entries.find((entry) =>
    compareKeys(entry.userKey, userKey) === 0 && entry.sequence <= maxSequence
  );
}

Deno.test("sstable reader get matches the model", async () => {
  await fc.assert(
    fc.asyncProperty(
      tableArbitrary,
      optionsArbitrary,
      fc.array(fc.tuple(userKeyArbitrary, fc.integer({ min: 0, max: 70 })), { maxLength: 30 }),
      async (entries, options, probes) => {
        const reader = await openTable(entries, options);
        for (const [userKey, maxSequence] of probes) {
          const result = await reader.get(userKey, maxSequence);
          assert.deepEqual(result.entry, modelGet(entries, userKey, maxSequence));
          if (result.bloomExcluded) assert.equal(modelGet(entries, userKey, Infinity), undefined);
        }
        for (const entry of entries) {
          const result = await reader.get(entry.userKey, entry.sequence);
          assert.deepEqual(result.entry, entry);
          assert.equal(result.bloomExcluded, false);
          assert.equal(await reader.mayContain(entry.userKey), true);
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("sstable reader scans match the model in both directions", async () => {
  await fc.assert(
    fc.asyncProperty(
      tableArbitrary,
      optionsArbitrary,
      fc.option(userKeyArbitrary, { nil: undefined }),
      fc.option(userKeyArbitrary, { nil: undefined }),
      async (entries, options, start, end) => {
        const reader = await openTable(entries, options);
        const expected = entries.filter((entry) =>
          (start === undefined || compareKeys(entry.userKey, start) >= 0) &&
          (end === undefined || compareKeys(entry.userKey, end) < 0)
        );
        assert.deepEqual(await collect(reader.scan({ start, end })), expected);
        const reversed = await collect(reader.scan({ start, end, reverse: true }));
        assert.deepEqual(reversed, expected.slice().reverse());
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("sstable reader properties describe the table", async () => {
  await fc.assert(
    fc.asyncProperty(tableArbitrary, optionsArbitrary, async (entries, options) => {
      const bytes = await writeTable(entries, options);
      const reader = await SstableReader.open(new MemoryReadableFile(bytes));
      const properties = reader.properties;
      const sequences = entries.map((entry) => entry.sequence);
      assert.equal(properties.entryCount, entries.length);
      assert.equal(
        properties.tombstoneCount,
        entries.filter((entry) => entry.kind === EntryKind.Delete).length,
      );
      assert.equal(properties.minSequence, Math.min(...sequences));
      assert.equal(properties.maxSequence, Math.max(...sequences));
      assert.deepEqual(properties.smallest, {
        userKey: entries[0]!.userKey,
        sequence: entries[0]!.sequence,
      });
      assert.deepEqual(properties.largest, {
        userKey: entries.at(-1)!.userKey,
        sequence: entries.at(-1)!.sequence,
      });
      assert.equal(properties.fileSizeBytes, bytes.length);
      assert.ok(properties.dataBlockCount >= 1);
      assert.ok(properties.dataBlockCount <= entries.length);
    }),
    { numRuns: 100 },
  );
});

function numberedEntries(count: number, valueBytes: number): InternalEntry[] {
  const encoder = new TextEncoder();
  return Array.from({ length: count }, (_, i) => ({
    userKey: encoder.encode(`key${String(i).padStart(6, "0")}`),
    sequence: i + 1,
    kind: EntryKind.Put,
    value: new Uint8Array(valueBytes).fill(i % 251),
  }));
}

Deno.test("sstable reader serves repeated reads from the block cache", async () => {
  const entries = numberedEntries(500, 50);
  const bytes = await writeTable(entries, { blockSizeBytes: 1024 });
  const file = new MemoryReadableFile(bytes);
  const cache = new BlockCache({ capacityBytes: 1 << 20 });
  const reader = await SstableReader.open(file, { fileNumber: 7, cache });
  const readsAfterOpen = file.readCount;

  // The first lookup reads the filter partition, the index partition and one data block.
  const first = await reader.get(entries[123]!.userKey, 1000);
  assert.deepEqual(first.entry, entries[123]);
  assert.equal(file.readCount, readsAfterOpen + 3);
  assert.equal(cache.stats().misses, 3);
  const second = await reader.get(entries[123]!.userKey, 1000);
  assert.deepEqual(second.entry, entries[123]);
  assert.equal(file.readCount, readsAfterOpen + 3);
  assert.equal(cache.stats().hits, 3);
  assert.equal(cache.stats().misses, 3);
});

Deno.test("sstable reader scan without fillCache leaves the cache empty", async () => {
  const entries = numberedEntries(200, 50);
  const bytes = await writeTable(entries, { blockSizeBytes: 1024 });
  const cache = new BlockCache({ capacityBytes: 1 << 20 });
  const reader = await SstableReader.open(new MemoryReadableFile(bytes), {
    fileNumber: 1,
    cache,
  });
  assert.equal((await collect(reader.scan({ fillCache: false }))).length, entries.length);
  assert.equal(cache.stats().blockCount, 0);
  assert.equal((await collect(reader.scan())).length, entries.length);
  // Every data block and every partition's index block; a scan needs no filter.
  const blockCount = reader.properties.dataBlockCount + reader.partitionCount;
  assert.equal(cache.stats().blockCount, blockCount);
});

Deno.test("sstable reader returns copied keys and shared values", async () => {
  const entries = numberedEntries(10, 8);
  const cache = new BlockCache({ capacityBytes: 1 << 20 });
  const reader = await openTable(entries, {}, { fileNumber: 3, cache });
  const first = await reader.get(entries[4]!.userKey, 100);
  first.entry!.userKey.fill(0xee);
  const second = await reader.get(entries[4]!.userKey, 100);
  assert.deepEqual(second.entry, entries[4]);
  // Values are views of the cached block (the engine copies them for its callers).
  assert.equal(second.entry!.value.buffer, first.entry!.value.buffer);
});

Deno.test("sstable reader bloom filter skips most missing keys", async () => {
  const entries = numberedEntries(2000, 4);
  const file = new MemoryReadableFile(await writeTable(entries, { partitionSizeBytes: 512 }));
  const cache = new BlockCache({ capacityBytes: 1 << 20 });
  const reader = await SstableReader.open(file, { fileNumber: 1, cache });
  const readsAfterOpen = file.readCount;
  const encoder = new TextEncoder();
  let excluded = 0;
  // Every probe sorts inside the table's key range, so only the bloom filter can rule it out.
  const probeCount = entries.length - 1;
  for (let i = 0; i < probeCount; i++) {
    const result = await reader.get(encoder.encode(`key${String(i).padStart(6, "0")}x`), 9999);
    assert.equal(result.entry, undefined);
    if (result.bloomExcluded) excluded++;
  }
  assert.ok(excluded >= probeCount * 0.97, `only ${excluded} of ${probeCount} excluded`);
  // Each filter partition is read once; only false positives read index and data blocks.
  const blockReads = file.readCount - readsAfterOpen;
  assert.ok(reader.partitionCount > 1, "2000 keys need several 512-byte filter partitions");
  assert.ok(blockReads >= reader.partitionCount);
  assert.ok(blockReads <= reader.partitionCount + 2 * (probeCount - excluded));
});

Deno.test("sstable reader finds versions spanning partitions", async () => {
  const encoder = new TextEncoder();
  const entries: InternalEntry[] = [];
  for (const name of ["a", "hot", "z"]) {
    for (let sequence = 300; sequence >= 1; sequence--) {
      const value = encoder.encode(`${name}${sequence}`);
      entries.push({ userKey: encoder.encode(name), sequence, kind: EntryKind.Put, value });
    }
  }
  const reader = await openTable(entries, { blockSizeBytes: 64, partitionSizeBytes: 16 });
  assert.ok(reader.partitionCount > 20, `only ${reader.partitionCount} partitions`);
  for (const sequence of [300, 299, 151, 150, 2, 1]) {
    const result = await reader.get(encoder.encode("hot"), sequence);
    assert.equal(new TextDecoder().decode(result.entry?.value), `hot${sequence}`);
  }
  assert.equal((await reader.get(encoder.encode("hot"), 0)).entry, undefined);
  assert.equal(await reader.mayContain(encoder.encode("hot")), true);
  const hotVersions = await collect(
    reader.scan({ start: encoder.encode("hot"), end: encoder.encode("i") }),
  );
  assert.equal(hotVersions.length, 300);
  const reversed = await collect(reader.scan({ end: encoder.encode("z"), reverse: true }));
  assert.equal(reversed.length, 600);
  assert.deepEqual(reversed[0], entries[599]);
});

Deno.test("sstable reader pins only properties and partition index", async () => {
  // 20,000 keys in 64-byte blocks: the index and filter blocks total far more than the cache.
  const entries = numberedEntries(20_000, 8);
  const bytes = await writeTable(entries, { blockSizeBytes: 64 });
  const capacityBytes = 16 * 1024;
  const cache = new BlockCache({ capacityBytes });
  const reader = await SstableReader.open(new MemoryReadableFile(bytes), {
    fileNumber: 5,
    cache,
  });
  const dataBlockCount = reader.properties.dataBlockCount;
  // Every data block has an index entry of about 16 bytes, every key 1.25 filter bytes.
  const wholeIndexAndFilterBytes = 16 * dataBlockCount + 1.25 * entries.length;
  assert.ok(wholeIndexAndFilterBytes > 4 * capacityBytes);
  assert.ok(reader.pinnedBytes < capacityBytes / 4, `${reader.pinnedBytes} bytes pinned`);
  assert.equal(cache.stats().pinnedBytes, reader.pinnedBytes);

  for (let i = 0; i < entries.length; i += 7) {
    const result = await reader.get(entries[i]!.userKey, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(result.entry, entries[i]);
    assert.ok(cache.stats().sizeBytes <= capacityBytes);
  }
  assert.ok(cache.stats().evictions > 0, "the reads never filled the cache");
  await reader.close();
  assert.equal(cache.stats().pinnedBytes, 0);
});

Deno.test("sstable reader reports a damaged data block with file and offset", async () => {
  const entries = numberedEntries(300, 30);
  const bytes = await writeTable(entries, { blockSizeBytes: 512 });
  const reader = await SstableReader.open(new MemoryReadableFile(bytes), {
    fileName: "000042.sst",
  });
  const target = entries[150]!;
  const valueOffset = findSubarray(bytes, target.value.subarray(0, 30));
  assert.ok(valueOffset > 0);
  bytes[valueOffset]! ^= 0x10;
  const error = await reader.get(target.userKey, 9999).then(() => undefined, (caught) => caught);
  assert.ok(error instanceof StorageError);
  assert.equal(error.kind, "corruption");
  assert.equal(error.file, "000042.sst");
  assert.ok(error.offset !== undefined);
  assert.ok(error.offset <= valueOffset);
  assert.match(error.message, /000042\.sst.*checksum mismatch/);
});

function findSubarray(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
