/**
 * The layout of items in the storage engine's key space.
 *
 * An item of a table (or an entry of an index) with partition key value `pk` and sort key value
 * `sk` is stored under
 *
 *     0x01 | partition (u16 BE) | key space id (u32 BE) | token (u64 BE) | enc(pk) | enc(sk)
 *
 * where `token = xxhash64(key space id as u32 BE ‖ enc(pk))`, `partition` is the token's top bits
 * (the ring is cut into {@linkcode PARTITION_COUNT} equal token ranges) and `enc` is the
 * order-preserving, prefix-free encoding of `key_encoding.ts`. Index entries append the table's
 * own `enc(pk) ‖ enc(sk)` so that entries with equal index keys stay distinct.
 *
 * Consequences the rest of the code relies on:
 * - All items of one partition key value are contiguous and sorted by sort key (Query is one
 *   range scan).
 * - Within a partition, a key space's items are ordered by token, so a Scan that walks partitions
 *   in order walks tokens in order, and a parallel-scan segment (a token range) is a union of
 *   contiguous ranges.
 * - Every partition is a contiguous range (`0x01 | partition`), so it can be streamed or dropped.
 * - System keys (the catalog) start with 0x00 and never collide with items.
 *
 * @module
 */

import xxhash from "xxhash-wasm";
import type { AttributeValue, Item } from "../api/attribute_value.ts";
import { encodeKeyValue } from "./key_encoding.ts";
import type { KeySchema } from "./catalog.ts";
import { assert } from "../util/assert.ts";

/** First byte of every item and index entry key. */
export const DATA_PREFIX = 0x01;

/** Number of token ranges (partitions); a power of two. */
export const PARTITION_COUNT = 256;
const PARTITION_BITS = Math.log2(PARTITION_COUNT);
assert(Number.isInteger(PARTITION_BITS), "PARTITION_COUNT must be a power of two");

/** Size of the token space: tokens are in [0, TOKEN_SPACE). */
export const TOKEN_SPACE = 1n << 64n;
const PARTITION_SHIFT = BigInt(64 - PARTITION_BITS);

/** Bytes before enc(pk): prefix, partition, key space id, token. */
export const HEADER_BYTES = 1 + 2 + 4 + 8;

const hasher = await xxhash();
const utf8Encoder = new TextEncoder();

/** Returns the token of a partition key value (already encoded) in a key space. */
export function tokenOf(keySpaceId: number, encodedPartitionKey: Uint8Array): bigint {
  const input = new Uint8Array(4 + encodedPartitionKey.length);
  new DataView(input.buffer).setUint32(0, keySpaceId, false);
  input.set(encodedPartitionKey, 4);
  return hasher.h64Raw(input);
}

/** Returns the partition that owns `token`. */
export function partitionOf(token: bigint): number {
  return Number(token >> PARTITION_SHIFT);
}

/** First token of `partition`. */
export function partitionStartToken(partition: number): bigint {
  return BigInt(partition) << PARTITION_SHIFT;
}

/** Writes the fixed header for a token in a key space into `target` at offset 0. */
function writeHeader(target: Uint8Array, keySpaceId: number, token: bigint): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  target[0] = DATA_PREFIX;
  view.setUint16(1, partitionOf(token), false);
  view.setUint32(3, keySpaceId, false);
  view.setBigUint64(7, token, false);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const result = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** Returns the key prefix shared by every item with partition key value `partitionKey`. */
export function partitionKeyPrefix(keySpaceId: number, partitionKey: AttributeValue): Uint8Array {
  return buildKey(keySpaceId, encodeKeyValue(partitionKey));
}

/** Builds `header ‖ encodedPartitionKey ‖ encodedSortKey` in one allocation. */
function buildKey(
  keySpaceId: number,
  encodedPartitionKey: Uint8Array,
  encodedSortKey?: Uint8Array,
): Uint8Array {
  const sortKeyBytes = encodedSortKey?.length ?? 0;
  const key = new Uint8Array(HEADER_BYTES + encodedPartitionKey.length + sortKeyBytes);
  writeHeader(key, keySpaceId, tokenOf(keySpaceId, encodedPartitionKey));
  key.set(encodedPartitionKey, HEADER_BYTES);
  if (encodedSortKey !== undefined) {
    key.set(encodedSortKey, HEADER_BYTES + encodedPartitionKey.length);
  }
  return key;
}

/**
 * Returns the storage key of the item (or index entry) whose key attributes are in `item`.
 * `item` must contain the schema's key attributes with the right types.
 *
 * This runs for every item read and write, so it builds the key in a reusable scratch buffer and
 * allocates only the result. String values without U+0000 are encoded in place.
 */
export function itemStorageKey(keySpaceId: number, schema: KeySchema, item: Item): Uint8Array {
  const partitionValue = item[schema.partitionKey.name];
  assert(partitionValue !== undefined, "item lacks its partition key");
  const sortValue = schema.sortKey === undefined ? undefined : item[schema.sortKey.name];
  assert(schema.sortKey === undefined || sortValue !== undefined, "item lacks its sort key");

  const partitionEnd = writeKeyValue(HEADER_BYTES, partitionValue);
  const end = sortValue === undefined ? partitionEnd : writeKeyValue(partitionEnd, sortValue);
  // The token hashes the key space id (u32 BE) followed by enc(pk): put the id right before
  // enc(pk), where the token's last 4 bytes go afterwards.
  scratchView.setUint32(HEADER_BYTES - 4, keySpaceId, false);
  const token = hasher.h64Raw(scratch.subarray(HEADER_BYTES - 4, partitionEnd));
  scratch[0] = DATA_PREFIX;
  scratchView.setUint16(1, partitionOf(token), false);
  scratchView.setUint32(3, keySpaceId, false);
  scratchView.setBigUint64(7, token, false);
  return scratch.slice(0, end);
}

/** Reusable buffer for {@linkcode itemStorageKey}; grown when a key does not fit. */
let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

/** Writes enc(`value`) into the scratch buffer at `offset`; returns the offset past it. */
function writeKeyValue(offset: number, value: AttributeValue): number {
  if ("S" in value) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; 2 more for the terminator.
    ensureScratch(offset + value.S.length * 3 + 2);
    if (!value.S.includes("\u0000")) {
      // Without zero bytes to escape, enc(S) is the UTF-8 bytes and the terminator 0x00 0x01.
      const { written } = utf8Encoder.encodeInto(value.S, scratch.subarray(offset));
      scratch[offset + written] = 0x00;
      scratch[offset + written + 1] = 0x01;
      return offset + written + 2;
    }
  }
  const encoded = encodeKeyValue(value);
  ensureScratch(offset + encoded.length);
  scratch.set(encoded, offset);
  return offset + encoded.length;
}

function ensureScratch(length: number): void {
  if (length <= scratch.length) return;
  const grown = new Uint8Array(Math.max(length, scratch.length * 2));
  grown.set(scratch);
  scratch = grown;
  scratchView = new DataView(scratch.buffer);
}

/** Returns the table-key suffix appended to index entries: enc(pk) ‖ enc(sk) of the table. */
export function tableKeySuffix(schema: KeySchema, item: Item): Uint8Array {
  const partitionValue = item[schema.partitionKey.name];
  assert(partitionValue !== undefined, "item lacks its partition key");
  const parts = [encodeKeyValue(partitionValue)];
  if (schema.sortKey !== undefined) {
    const sortValue = item[schema.sortKey.name];
    assert(sortValue !== undefined, "item lacks its sort key");
    parts.push(encodeKeyValue(sortValue));
  }
  return concatBytes(...parts);
}

/** Smallest key of a partition's range for a key space, at `token` (inclusive). */
export function tokenBoundKey(keySpaceId: number, token: bigint): Uint8Array {
  const key = new Uint8Array(HEADER_BYTES);
  writeHeader(key, keySpaceId, token);
  return key;
}

/** First key after every key of `keySpaceId` in `partition`. */
export function keySpaceEndInPartition(keySpaceId: number, partition: number): Uint8Array {
  const key = new Uint8Array(7);
  const view = new DataView(key.buffer);
  key[0] = DATA_PREFIX;
  view.setUint16(1, partition, false);
  view.setUint32(3, keySpaceId + 1, false);
  return key;
}

/**
 * Returns the smallest key greater than every key that starts with `prefix`, or undefined when
 * no such key exists (the prefix is all 0xFF bytes).
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let length = prefix.length;
  while (length > 0 && prefix[length - 1] === 0xff) length--;
  if (length === 0) return undefined;
  const end = prefix.slice(0, length);
  end[length - 1]! += 1;
  return end;
}

/** Returns the key immediately after `key` in byte order: `key ‖ 0x00`. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/** A condition on the sort key, from a Query's key condition. */
export interface SortKeyCondition {
  operator: "=" | "<" | "<=" | ">" | ">=" | "BETWEEN" | "begins_with";
  values: AttributeValue[];
}

/**
 * Returns the storage key range `[start, end)` of the items under `prefix` (one partition key
 * value) whose sort key satisfies `condition`, or of all of them when it is undefined.
 *
 * Encoded sort keys are prefix-free, so the keys of items with sort key `v` are exactly those
 * starting with `prefix ‖ enc(v)`. For `begins_with`, the encoding of a string or binary without
 * its two-byte terminator is a prefix of the encoding of every value that starts with it.
 */
export function sortKeyRange(prefix: Uint8Array, condition?: SortKeyCondition): {
  start: Uint8Array;
  end: Uint8Array;
} {
  const all = { start: prefix, end: prefixEnd(prefix)! };
  if (condition === undefined) return all;
  const bound = (index: number) => concatBytes(prefix, encodeKeyValue(condition.values[index]!));
  const endOf = (key: Uint8Array) => prefixEnd(key)!;
  switch (condition.operator) {
    case "=":
      return { start: bound(0), end: endOf(bound(0)) };
    case "<":
      return { start: prefix, end: bound(0) };
    case "<=":
      return { start: prefix, end: endOf(bound(0)) };
    case ">":
      return { start: endOf(bound(0)), end: all.end };
    case ">=":
      return { start: bound(0), end: all.end };
    case "BETWEEN":
      return { start: bound(0), end: endOf(bound(1)) };
    case "begins_with": {
      const encoded = encodeKeyValue(condition.values[0]!);
      const stem = concatBytes(prefix, encoded.subarray(0, encoded.length - 2));
      return { start: stem, end: endOf(stem) };
    }
  }
}
