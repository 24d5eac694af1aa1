/**
 * Encoding of stored item values.
 *
 * A stored value is one format byte ({@linkcode ITEM_FORMAT_JSON}, frozen) followed by the item in
 * DynamoDB's JSON wire shape, UTF-8 encoded. JSON rather than CBOR because an item may have any
 * attribute name, including `__proto__`, and cbor-x renames that key on decode to protect object
 * prototypes, which would silently change stored data. `JSON.parse` creates such keys as plain own
 * properties. Decoding JSON is also as fast as cbor-x for these shapes (measured with Deno 2.9).
 *
 * @module
 */

import type { Item } from "../api/attribute_value.ts";
import { StorageError } from "../storage/engine.ts";

/** Format byte of a JSON-encoded item. Stored on disk: frozen. */
export const ITEM_FORMAT_JSON = 0x01;

const encoder = new TextEncoder();
// Not fatal: stored items were encoded by `encodeItem` and are protected by storage checksums,
// and the fatal decoder is about four times slower (measured with Deno 2.9).
const decoder = new TextDecoder("utf-8");

/** Encodes an item for storage. */
export function encodeItem(item: Item): Uint8Array {
  const json = encoder.encode(JSON.stringify(item));
  const value = new Uint8Array(json.length + 1);
  value[0] = ITEM_FORMAT_JSON;
  value.set(json, 1);
  return value;
}

/**
 * Returns the JSON text of a stored item without parsing it, so a response can embed it as is.
 * Throws a corruption `StorageError` on an unknown format.
 */
export function storedItemJson(value: Uint8Array): string {
  if (value[0] !== ITEM_FORMAT_JSON) {
    throw new StorageError("corruption", `unknown item format byte ${value[0]}`);
  }
  return decoder.decode(value.subarray(1));
}

/** Decodes a stored item; throws a corruption `StorageError` on an unknown format. */
export function decodeItem(value: Uint8Array): Item {
  if (value[0] !== ITEM_FORMAT_JSON) {
    throw new StorageError("corruption", `unknown item format byte ${value[0]}`);
  }
  return JSON.parse(decoder.decode(value.subarray(1))) as Item;
}
