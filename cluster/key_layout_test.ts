/**
 * Tests of the storage key layout: `itemStorageKey`, which builds keys in a scratch buffer, must
 * equal the layout assembled from its parts, for every key type and awkward values.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { AttributeValue, Item } from "../api/attribute_value.ts";
import type { KeySchema } from "./catalog.ts";
import { encodeKeyValue } from "./key_encoding.ts";
import {
  concatBytes,
  DATA_PREFIX,
  HEADER_BYTES,
  itemStorageKey,
  partitionOf,
  tokenOf,
} from "./key_layout.ts";

/** Returns the expected key, with the layout written out field by field. */
function expectedKey(
  keySpaceId: number,
  partitionKey: AttributeValue,
  sortKey: AttributeValue | undefined,
): Uint8Array {
  const encodedPartitionKey = encodeKeyValue(partitionKey);
  const token = tokenOf(keySpaceId, encodedPartitionKey);
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  header[0] = DATA_PREFIX;
  view.setUint16(1, partitionOf(token), false);
  view.setUint32(3, keySpaceId, false);
  view.setBigUint64(7, token, false);
  const parts = [header, encodedPartitionKey];
  if (sortKey !== undefined) parts.push(encodeKeyValue(sortKey));
  return concatBytes(...parts);
}

const stringValue = fc.string({ unit: "binary", minLength: 1, maxLength: 40 })
  .map((text): AttributeValue => ({ S: text }));
const numberValue = fc.integer({ min: -1_000_000, max: 1_000_000 })
  .map((number): AttributeValue => ({ N: String(number) }));
const binaryValue = fc.uint8Array({ minLength: 1, maxLength: 30 })
  .map((bytes): AttributeValue => ({ B: btoa(String.fromCharCode(...bytes)) }));
const keyValue = fc.oneof(stringValue, numberValue, binaryValue);

Deno.test("key layout matches its fields for any key values", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      keyValue,
      fc.option(keyValue, { nil: undefined }),
      (keySpaceId, partitionKey, sortKey) => {
        const schema: KeySchema = {
          partitionKey: { name: "pk", type: keyType(partitionKey) },
          sortKey: sortKey === undefined ? undefined : { name: "sk", type: keyType(sortKey) },
        } as KeySchema;
        const item: Item = sortKey === undefined
          ? { pk: partitionKey }
          : { pk: partitionKey, sk: sortKey };
        assert.deepEqual(
          itemStorageKey(keySpaceId, schema, item),
          expectedKey(keySpaceId, partitionKey, sortKey),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("key layout handles strings with NUL and long values", () => {
  const schema = {
    partitionKey: { name: "pk", type: "S" },
    sortKey: { name: "sk", type: "S" },
  } as KeySchema;
  const cases: Array<[string, string]> = [
    ["a\u0000b", "\u0000"],
    ["é✓😀", "x".repeat(1024)],
    ["p".repeat(2048), "€".repeat(341)],
  ];
  for (const [partitionKey, sortKey] of cases) {
    const item = { pk: { S: partitionKey }, sk: { S: sortKey } };
    assert.deepEqual(
      itemStorageKey(7, schema, item),
      expectedKey(7, { S: partitionKey }, { S: sortKey }),
    );
  }
});

function keyType(value: AttributeValue): "S" | "N" | "B" {
  if ("S" in value) return "S";
  if ("N" in value) return "N";
  return "B";
}
