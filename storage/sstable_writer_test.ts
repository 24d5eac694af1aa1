/**
 * Tests of `SstableWriter`: order assertions, block cutting at the target size, syncing on
 * finish, and returned properties. Round trips through the reader are in `sstable_reader_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import { SstableWriter } from "./sstable_writer.ts";
import { SstableReader } from "./sstable_reader.ts";
import { AssertionError } from "../util/assert.ts";
import { MemoryReadableFile, MemoryWritableFile } from "./testing/table_files.ts";

const encoder = new TextEncoder();

function put(key: string, sequence: number, value = "v"): InternalEntry {
  return {
    userKey: encoder.encode(key),
    sequence,
    kind: EntryKind.Put,
    value: encoder.encode(value),
  };
}

Deno.test("sstable writer rejects a smaller user key", async () => {
  const writer = await SstableWriter.create(new MemoryWritableFile());
  await writer.add(put("b", 1));
  await assert.rejects(writer.add(put("a", 2)), AssertionError);
});

Deno.test("sstable writer rejects an older version before a newer one", async () => {
  const writer = await SstableWriter.create(new MemoryWritableFile());
  await writer.add(put("a", 1));
  await assert.rejects(writer.add(put("a", 2)), AssertionError);
});

Deno.test("sstable writer rejects a duplicate version", async () => {
  const writer = await SstableWriter.create(new MemoryWritableFile());
  await writer.add(put("a", 5));
  await assert.rejects(writer.add(put("a", 5)), AssertionError);
});

Deno.test("sstable writer rejects finishing an empty table", async () => {
  const writer = await SstableWriter.create(new MemoryWritableFile());
  await assert.rejects(writer.finish(), AssertionError);
});

Deno.test("sstable writer rejects a non-empty file", async () => {
  const file = new MemoryWritableFile();
  await file.append(Uint8Array.of(1));
  await assert.rejects(SstableWriter.create(file), AssertionError);
});

Deno.test("sstable writer syncs on finish and leaves the file open", async () => {
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file);
  await writer.add(put("a", 1));
  const properties = await writer.finish();
  assert.equal(file.syncCount, 1);
  assert.equal(file.closed, false);
  assert.equal(properties.fileSizeBytes, file.sizeBytes);
  await assert.rejects(writer.add(put("b", 2)), AssertionError);
});

Deno.test("sstable writer cuts blocks near the target size", async () => {
  const file = new MemoryWritableFile();
  const blockSizeBytes = 4096;
  const writer = await SstableWriter.create(file, { blockSizeBytes });
  const entryCount = 5000;
  for (let i = 0; i < entryCount; i++) {
    await writer.add(put(`key${String(i).padStart(8, "0")}`, i + 1, "x".repeat(100)));
  }
  const properties = await writer.finish();
  const payloadBytes = properties.rawKeyBytes + properties.rawValueBytes;
  // Each block holds at least blockSizeBytes of encoding, and entries here are ~120 bytes.
  assert.ok(properties.dataBlockCount <= Math.ceil(payloadBytes / (blockSizeBytes - 200)));
  assert.ok(properties.dataBlockCount >= Math.floor(payloadBytes / (blockSizeBytes + 200)));
  assert.equal(properties.entryCount, entryCount);
  assert.equal(properties.rawValueBytes, entryCount * 100);

  const reader = await SstableReader.open(new MemoryReadableFile(file.bytes()));
  assert.deepEqual(reader.properties, properties);
});

Deno.test("sstable writer keeps no reference to added buffers", async () => {
  const file = new MemoryWritableFile();
  const writer = await SstableWriter.create(file, { blockSizeBytes: 64 });
  const key = encoder.encode("aaaa");
  for (let i = 0; i < 20; i++) {
    key[3] = 0x61 + i;
    await writer.add({ userKey: key, sequence: 1, kind: EntryKind.Put, value: key });
  }
  key.fill(0);
  await writer.finish();
  const reader = await SstableReader.open(new MemoryReadableFile(file.bytes()));
  const keys: string[] = [];
  for await (const entry of reader.scan()) keys.push(new TextDecoder().decode(entry.userKey));
  assert.equal(keys.length, 20);
  assert.equal(keys[0], "aaaa");
  assert.equal(keys[19], "aaat");
  assert.equal(new TextDecoder().decode(reader.properties.smallest.userKey), "aaaa");
  assert.equal(new TextDecoder().decode(reader.properties.largest.userKey), "aaat");
});
