/**
 * Tests of the WAL record encoding: round trips, checksum coverage and the golden bytes of the
 * worked example in `FORMAT.md` ("WAL record").
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkSegmentHeader,
  decodeWalRecordAt,
  encodeSegmentHeader,
  encodeWalRecord,
} from "./wal_format.ts";
import { EntryKind } from "./internal_key.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

function toHex(data: Uint8Array): string {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

Deno.test("wal record round trips puts and deletes", () => {
  const { record, entries } = encodeWalRecord(7, [
    { kind: "put", key: bytes(1, 2), value: bytes(9) },
    { kind: "delete", key: bytes(3) },
  ]);
  const result = decodeWalRecordAt(record, 0);
  assert.equal(result.status, "valid");
  if (result.status !== "valid") return;
  assert.deepEqual(result.record.entries, entries);
  assert.equal(entries[0]?.userKey.buffer, record.buffer, "entries must share the record's bytes");
  assert.equal(result.endOffset, record.length);
  assert.equal(result.record.firstSequence, 7);
  assert.equal(result.record.entries.length, 2);
  const [put, tombstone] = result.record.entries;
  assert.deepEqual(put, {
    userKey: bytes(1, 2),
    sequence: 7,
    kind: EntryKind.Put,
    value: bytes(9),
  });
  assert.deepEqual(tombstone?.userKey, bytes(3));
  assert.equal(tombstone?.sequence, 8);
  assert.equal(tombstone?.kind, EntryKind.Delete);
});

Deno.test("wal record golden bytes match FORMAT.md", () => {
  const { record } = encodeWalRecord(5, [{
    kind: "put",
    key: bytes(0x61),
    value: bytes(0x62, 0x63),
  }]);
  assert.equal(
    toHex(record),
    "ee 58 12 b8 18 00 00 00 05 00 00 00 00 00 00 00 01 00 00 00 01 01 00 00 00 61 02 00 00 00 62 63",
  );
  assert.equal(toHex(encodeSegmentHeader()), "53 57 41 4c 01 00 00 00");
});

Deno.test("wal record detects every flipped bit", () => {
  const { record } = encodeWalRecord(1, [{ kind: "put", key: bytes(1), value: bytes(2, 3) }]);
  for (let offset = 0; offset < record.length; offset++) {
    for (let bit = 0; bit < 8; bit++) {
      const damaged = record.slice();
      damaged[offset]! ^= 1 << bit;
      const result = decodeWalRecordAt(damaged, 0);
      assert.notEqual(result.status, "valid", `flip of bit ${bit} at offset ${offset} went unseen`);
    }
  }
});

Deno.test("wal record reports a cut record as incomplete", () => {
  const { record } = encodeWalRecord(1, [{ kind: "put", key: bytes(1), value: bytes(2, 3) }]);
  for (let length = 0; length < record.length; length++) {
    assert.equal(decodeWalRecordAt(record.subarray(0, length), 0).status, "incomplete");
  }
});

Deno.test("segment header rejects another version", () => {
  const header = encodeSegmentHeader();
  assert.equal(checkSegmentHeader(header), undefined);
  header[4] = 2;
  assert.match(checkSegmentHeader(header) ?? "", /unsupported WAL format version 2/);
  assert.match(checkSegmentHeader(bytes(1, 2)) ?? "", /truncated/);
});
