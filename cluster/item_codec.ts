/**
 * Encoding of stored item values.
 *
 * A stored value is one format byte followed by the item in DynamoDB's JSON wire shape, UTF-8
 * encoded. Format {@linkcode ITEM_FORMAT_SIZED_JSON} (written now) puts the item's DynamoDB size
 * (`item_size.ts`) in a u32 little-endian between the two, so Query and Scan can count capacity
 * and the 1 MB page limit, and copy the JSON into the response, without parsing the item. Format
 * {@linkcode ITEM_FORMAT_JSON} (older data) has no size. Both format bytes are frozen. JSON rather than CBOR because an item may have any
 * attribute name, including `__proto__`, and cbor-x renames that key on decode to protect object
 * prototypes, which would silently change stored data. `JSON.parse` creates such keys as plain own
 * properties. Decoding JSON is also as fast as cbor-x for these shapes (measured with Deno 2.9).
 *
 * @module
 */

import type { Item } from "../api/attribute_value.ts";
import { itemSizeBytes } from "../api/item_size.ts";
import { StorageError } from "../storage/engine.ts";

/** Format byte of a JSON-encoded item without a size. Stored on disk: frozen. */
export const ITEM_FORMAT_JSON = 0x01;
/** Format byte of a u32 item size followed by the JSON-encoded item. Stored on disk: frozen. */
export const ITEM_FORMAT_SIZED_JSON = 0x02;
/** Bytes before the JSON text in {@linkcode ITEM_FORMAT_SIZED_JSON}. */
const SIZED_HEADER_BYTES = 5;

const encoder = new TextEncoder();
// Not fatal: stored items were encoded by `encodeItem` and are protected by storage checksums,
// and the fatal decoder is about four times slower (measured with Deno 2.9).
const decoder = new TextDecoder("utf-8");

/**
 * Encodes an item for storage. `sizeBytes` is the item's DynamoDB size when the caller already
 * computed it; otherwise it is computed here.
 */
export function encodeItem(item: Item, sizeBytes = itemSizeBytes(item)): Uint8Array {
  const json = encoder.encode(JSON.stringify(item));
  const value = new Uint8Array(json.length + SIZED_HEADER_BYTES);
  value[0] = ITEM_FORMAT_SIZED_JSON;
  new DataView(value.buffer).setUint32(1, sizeBytes, true);
  value.set(json, SIZED_HEADER_BYTES);
  return value;
}

/**
 * Returns the JSON text of a stored item without parsing it, so a response can embed it as is.
 * Throws a corruption `StorageError` on an unknown format.
 */
export function storedItemJson(value: Uint8Array): string {
  return decoder.decode(value.subarray(jsonOffset(value)));
}

/** Decodes a stored item; throws a corruption `StorageError` on an unknown format. */
export function decodeItem(value: Uint8Array): Item {
  return JSON.parse(storedItemJson(value)) as Item;
}

/** Returns the DynamoDB size of a stored item, parsing it only in the older format. */
export function storedItemSizeBytes(value: Uint8Array): number {
  if (value[0] === ITEM_FORMAT_SIZED_JSON && value.length >= SIZED_HEADER_BYTES) {
    return new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(1, true);
  }
  return itemSizeBytes(decodeItem(value));
}

function jsonOffset(value: Uint8Array): number {
  if (value[0] === ITEM_FORMAT_SIZED_JSON && value.length >= SIZED_HEADER_BYTES) {
    return SIZED_HEADER_BYTES;
  }
  if (value[0] === ITEM_FORMAT_JSON) return 1;
  throw new StorageError("corruption", `unknown item format byte ${value[0]}`);
}
