/**
 * Byte layout of WAL segments and records (`FORMAT.md`, "WAL segment" and "WAL record").
 *
 * A segment starts with an 8-byte header (magic, format version) and holds records back to back.
 * One record carries one commit group: the operations of one or more write batches with
 * consecutive sequence numbers starting at `firstSequence`. A record is valid only if its checksum
 * matches, so a group is applied whole or not at all after a crash.
 *
 * All integers are little-endian. Encoding and decoding are pure; the writer and reader own I/O.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import type { WriteOperation } from "./engine.ts";
import { checksum32 } from "./checksum.ts";
import { EntryKind, type InternalEntry, MAX_SEQUENCE } from "./internal_key.ts";

/** First four bytes of every segment: "SWAL" in ASCII. */
export const WAL_MAGIC = 0x4c415753;
/** Segment format version written by this code. Readers reject any other version. */
export const WAL_FORMAT_VERSION = 1;
/** Size of the segment header: magic u32, version u32. */
export const WAL_SEGMENT_HEADER_BYTES = 8;
/** Size of a record header: checksum u32, payload length u32. */
export const WAL_RECORD_HEADER_BYTES = 8;
/** Fixed part of a payload: first sequence u64, operation count u32. */
export const WAL_PAYLOAD_PREFIX_BYTES = 12;
/** Largest payload a writer produces or a reader accepts, in bytes. */
export const MAX_WAL_PAYLOAD_BYTES = 256 * 1024 * 1024;

assert(WAL_RECORD_HEADER_BYTES === 8, "the record header is checksum u32 plus length u32");
assert(MAX_WAL_PAYLOAD_BYTES < 2 ** 32, "payload length must fit the u32 length field");

/** One decoded record: the versions it writes, in sequence order. */
export interface WalRecord {
  firstSequence: number;
  entries: InternalEntry[];
}

/** Returns the bytes of a segment header. */
export function encodeSegmentHeader(): Uint8Array {
  const bytes = new Uint8Array(WAL_SEGMENT_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, WAL_MAGIC, true);
  view.setUint32(4, WAL_FORMAT_VERSION, true);
  return bytes;
}

/** Describes why `bytes` is not a valid segment header, or returns undefined when it is. */
export function checkSegmentHeader(bytes: Uint8Array): string | undefined {
  if (bytes.length < WAL_SEGMENT_HEADER_BYTES) return "segment header is truncated";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== WAL_MAGIC) return `bad segment magic 0x${magic.toString(16)}`;
  const version = view.getUint32(4, true);
  if (version !== WAL_FORMAT_VERSION) {
    return `unsupported WAL format version ${version}, expected ${WAL_FORMAT_VERSION}`;
  }
  return undefined;
}

/** Returns the encoded size of one operation inside a payload, in bytes. */
export function encodedOperationBytes(operation: WriteOperation): number {
  return operation.kind === "put"
    ? 1 + 4 + operation.key.length + 4 + operation.value.length
    : 1 + 4 + operation.key.length;
}

/** An encoded record and the versions it holds, whose arrays are views into `record`. */
export interface EncodedWalRecord {
  record: Uint8Array;
  entries: InternalEntry[];
}

const EMPTY_VALUE = new Uint8Array(0);

/**
 * Encodes a whole record (header and payload) holding `operations`, which get the sequence
 * numbers `firstSequence`, `firstSequence + 1`, and so on. The returned entries share the
 * record's buffer, so a memtable can keep them without a second copy of the bytes.
 */
export function encodeWalRecord(
  firstSequence: number,
  operations: readonly WriteOperation[],
): EncodedWalRecord {
  let payloadBytes = WAL_PAYLOAD_PREFIX_BYTES;
  for (const operation of operations) payloadBytes += encodedOperationBytes(operation);
  assert(payloadBytes <= MAX_WAL_PAYLOAD_BYTES, `WAL payload of ${payloadBytes} bytes too large`);
  assert(firstSequence + operations.length - 1 <= MAX_SEQUENCE, "sequence number overflow");

  const record = new Uint8Array(WAL_RECORD_HEADER_BYTES + payloadBytes);
  const view = new DataView(record.buffer);
  view.setUint32(4, payloadBytes, true);
  let offset = WAL_RECORD_HEADER_BYTES;
  view.setBigUint64(offset, BigInt(firstSequence), true);
  view.setUint32(offset + 8, operations.length, true);
  offset += WAL_PAYLOAD_PREFIX_BYTES;

  const entries: InternalEntry[] = [];
  let sequence = firstSequence;
  for (const operation of operations) {
    const kind = operation.kind === "put" ? EntryKind.Put : EntryKind.Delete;
    record[offset] = kind;
    view.setUint32(offset + 1, operation.key.length, true);
    record.set(operation.key, offset + 5);
    const userKey = record.subarray(offset + 5, offset + 5 + operation.key.length);
    offset += 5 + operation.key.length;
    let value = EMPTY_VALUE;
    if (operation.kind === "put") {
      view.setUint32(offset, operation.value.length, true);
      record.set(operation.value, offset + 4);
      value = record.subarray(offset + 4, offset + 4 + operation.value.length);
      offset += 4 + operation.value.length;
    }
    entries.push({ userKey, sequence: sequence++, kind, value });
  }
  assert(offset === record.length, "WAL record size computed wrongly");

  view.setUint32(0, checksum32(record.subarray(4)), true);
  return { record, entries };
}

/** Outcome of {@linkcode decodeWalRecordAt}. */
export type DecodeResult =
  | { status: "valid"; record: WalRecord; endOffset: number }
  | { status: "incomplete" }
  | { status: "invalid"; reason: string };

/**
 * Decodes the record starting at `offset` of `bytes`. Returns "incomplete" when the bytes end
 * before the record does, and "invalid" when the checksum or the payload structure is wrong.
 * Keys and values of the result are views into `bytes`.
 */
export function decodeWalRecordAt(bytes: Uint8Array, offset: number): DecodeResult {
  if (offset + WAL_RECORD_HEADER_BYTES > bytes.length) return { status: "incomplete" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expectedChecksum = view.getUint32(offset, true);
  const payloadBytes = view.getUint32(offset + 4, true);
  if (payloadBytes < WAL_PAYLOAD_PREFIX_BYTES || payloadBytes > MAX_WAL_PAYLOAD_BYTES) {
    return { status: "invalid", reason: `bad payload length ${payloadBytes}` };
  }
  const endOffset = offset + WAL_RECORD_HEADER_BYTES + payloadBytes;
  if (endOffset > bytes.length) return { status: "incomplete" };

  const actualChecksum = checksum32(bytes.subarray(offset + 4, endOffset));
  if (actualChecksum !== expectedChecksum) {
    return { status: "invalid", reason: "checksum mismatch" };
  }
  const payload = bytes.subarray(offset + WAL_RECORD_HEADER_BYTES, endOffset);
  const record = decodePayload(payload);
  if (typeof record === "string") return { status: "invalid", reason: record };
  return { status: "valid", record, endOffset };
}

/** Decodes a checksummed payload; returns a reason string if its structure is inconsistent. */
function decodePayload(payload: Uint8Array): WalRecord | string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const firstSequence = Number(view.getBigUint64(0, true));
  const count = view.getUint32(8, true);
  if (firstSequence < 1 || firstSequence + count - 1 > MAX_SEQUENCE) {
    return `sequence ${firstSequence} out of range`;
  }
  const entries: InternalEntry[] = [];
  let offset = WAL_PAYLOAD_PREFIX_BYTES;
  for (let index = 0; index < count; index++) {
    if (offset + 5 > payload.length) return "operation header past end of payload";
    const kind = payload[offset]!;
    const keyBytes = view.getUint32(offset + 1, true);
    offset += 5;
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete) return `unknown entry kind ${kind}`;
    if (offset + keyBytes > payload.length) return "key past end of payload";
    const userKey = payload.subarray(offset, offset + keyBytes);
    offset += keyBytes;
    let value: Uint8Array = EMPTY_VALUE;
    if (kind === EntryKind.Put) {
      if (offset + 4 > payload.length) return "value length past end of payload";
      const valueBytes = view.getUint32(offset, true);
      offset += 4;
      if (offset + valueBytes > payload.length) return "value past end of payload";
      value = payload.subarray(offset, offset + valueBytes);
      offset += valueBytes;
    }
    entries.push({ userKey, sequence: firstSequence + index, kind, value });
  }
  if (offset !== payload.length) return "trailing bytes after the last operation";
  return { firstSequence, entries };
}
