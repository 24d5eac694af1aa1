/**
 * Tests of stored item values: the sized JSON format written now and the older unsized format.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Item } from "../api/attribute_value.ts";
import { itemSizeBytes } from "../api/item_size.ts";
import {
  decodeItem,
  encodeItem,
  ITEM_FORMAT_JSON,
  ITEM_FORMAT_SIZED_JSON,
  storedItemJson,
  storedItemSizeBytes,
} from "./item_codec.ts";
import { StorageError } from "../storage/engine.ts";

const ITEM: Item = {
  PK: { S: "USER#1" },
  ["__proto__"]: { S: "kept as an own property" },
  tags: { SS: ["a", "b"] },
  nested: { M: { n: { N: "12.5" }, list: { L: [{ BOOL: true }, { NULL: true }] } } },
};

Deno.test("item codec round trips with its size", () => {
  const value = encodeItem(ITEM);
  assert.equal(value[0], ITEM_FORMAT_SIZED_JSON);
  assert.deepEqual(decodeItem(value), ITEM);
  assert.ok(Object.hasOwn(decodeItem(value), "__proto__"), "__proto__ stays an own property");
  assert.equal(storedItemSizeBytes(value), itemSizeBytes(ITEM));
  assert.deepEqual(JSON.parse(storedItemJson(value)), ITEM);
});

Deno.test("item codec stores a size given by the caller", () => {
  assert.equal(storedItemSizeBytes(encodeItem(ITEM, 777)), 777);
});

Deno.test("item codec reads the older unsized format", () => {
  const json = new TextEncoder().encode(JSON.stringify(ITEM));
  const value = new Uint8Array(json.length + 1);
  value[0] = ITEM_FORMAT_JSON;
  value.set(json, 1);
  assert.deepEqual(decodeItem(value), ITEM);
  assert.equal(storedItemJson(value), JSON.stringify(ITEM));
  assert.equal(storedItemSizeBytes(value), itemSizeBytes(ITEM));
});

Deno.test("item codec rejects an unknown format byte", () => {
  const value = encodeItem(ITEM);
  value[0] = 0x7f;
  assert.throws(() => decodeItem(value), StorageError);
  assert.throws(() => storedItemJson(value), /unknown item format byte 127/);
});

Deno.test("item codec golden bytes match KEY_FORMAT.md", () => {
  const json = '{"a":{"S":"b"}}';
  const expected = new Uint8Array([
    0x02,
    0x02,
    0x00,
    0x00,
    0x00,
    ...new TextEncoder().encode(json),
  ]);
  assert.deepEqual(encodeItem({ a: { S: "b" } }), expected);
});
