/**
 * Tests of WAL segment recovery: a torn tail of the last segment is cut, while damage that a torn
 * append cannot explain is reported as corruption with the file and offset.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "./engine.ts";
import { encodeSegmentHeader, encodeWalRecord, WAL_SEGMENT_HEADER_BYTES } from "./wal_format.ts";
import { readWalSegment } from "./wal_reader.ts";

function segmentOf(recordCount: number): { bytes: Uint8Array; recordOffsets: number[] } {
  const parts = [encodeSegmentHeader()];
  const recordOffsets: number[] = [];
  let offset = WAL_SEGMENT_HEADER_BYTES;
  for (let index = 0; index < recordCount; index++) {
    const { record } = encodeWalRecord(index + 1, [
      { kind: "put", key: new Uint8Array([index]), value: new Uint8Array(20).fill(index) },
    ]);
    recordOffsets.push(offset);
    offset += record.length;
    parts.push(record);
  }
  const bytes = new Uint8Array(offset);
  let position = 0;
  for (const part of parts) {
    bytes.set(part, position);
    position += part.length;
  }
  return { bytes, recordOffsets };
}

Deno.test("wal reader returns every record of an intact segment", () => {
  const { bytes } = segmentOf(3);
  const contents = readWalSegment(bytes, "000001.log", false);
  assert.equal(contents.records.length, 3);
  assert.equal(contents.tornTail, false);
  assert.equal(contents.validEndOffset, bytes.length);
});

Deno.test("wal reader cuts a torn tail at every length", () => {
  const { bytes, recordOffsets } = segmentOf(3);
  const lastStart = recordOffsets[2]!;
  for (let length = lastStart + 1; length < bytes.length; length++) {
    const contents = readWalSegment(bytes.subarray(0, length), "000001.log", true);
    assert.equal(contents.records.length, 2, `length ${length}`);
    assert.equal(contents.tornTail, true);
    assert.equal(contents.validEndOffset, lastStart);
  }
});

Deno.test("wal reader cuts a damaged last record", () => {
  const { bytes, recordOffsets } = segmentOf(3);
  const damaged = bytes.slice();
  damaged[bytes.length - 1]! ^= 0xff;
  const contents = readWalSegment(damaged, "000001.log", true);
  assert.equal(contents.records.length, 2);
  assert.equal(contents.validEndOffset, recordOffsets[2]);
});

Deno.test("wal reader reports a bit flip before valid records", () => {
  const { bytes, recordOffsets } = segmentOf(3);
  const damaged = bytes.slice();
  damaged[recordOffsets[1]! + 12]! ^= 0x04;
  assert.throws(
    () => readWalSegment(damaged, "000001.log", true),
    (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, "corruption");
      assert.equal(error.file, "000001.log");
      assert.equal(error.offset, recordOffsets[1]);
      return true;
    },
  );
});

Deno.test("wal reader rejects a torn record in an earlier segment", () => {
  const { bytes } = segmentOf(2);
  assert.throws(
    () => readWalSegment(bytes.subarray(0, bytes.length - 3), "000001.log", false),
    (error: unknown) => error instanceof StorageError && error.kind === "corruption",
  );
});

Deno.test("wal reader treats a torn header of the last segment as empty", () => {
  const header = encodeSegmentHeader();
  for (let length = 0; length < header.length; length++) {
    const contents = readWalSegment(header.subarray(0, length), "000002.log", true);
    assert.equal(contents.records.length, 0);
    assert.equal(contents.validEndOffset, 0);
    assert.equal(contents.tornTail, true, `header cut to ${length} bytes`);
  }
  const zeros = readWalSegment(new Uint8Array(40), "000002.log", true);
  assert.equal(zeros.validEndOffset, 0);
  assert.equal(zeros.tornTail, true);
});

Deno.test("wal reader ends any segment at a zero tail", () => {
  const { bytes } = segmentOf(3);
  const padded = new Uint8Array(bytes.length + 4096);
  padded.set(bytes);
  for (const isLastSegment of [false, true]) {
    const contents = readWalSegment(padded, "000001.log", isLastSegment);
    assert.equal(contents.records.length, 3, `last segment: ${isLastSegment}`);
    assert.equal(contents.tornTail, false, `last segment: ${isLastSegment}`);
    assert.equal(contents.validEndOffset, bytes.length, `last segment: ${isLastSegment}`);
  }
});

Deno.test("wal reader cuts a torn record inside preallocated zeros", () => {
  const { bytes, recordOffsets } = segmentOf(3);
  // The third record was being written over the zeros: only its first bytes arrived.
  const torn = new Uint8Array(bytes.length + 4096);
  torn.set(bytes.subarray(0, recordOffsets[2]! + 5));
  const contents = readWalSegment(torn, "000001.log", true);
  assert.equal(contents.records.length, 2);
  assert.equal(contents.tornTail, true);
  assert.equal(contents.validEndOffset, recordOffsets[2]);
  assert.throws(() => readWalSegment(torn, "000001.log", false), StorageError);
});
