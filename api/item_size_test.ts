/**
 * Tests for item and key sizes. Method: number sizes against the 23 sizes measured on DynamoDB
 * (paritysuite's accept/reject pairs at the 400 KB limit), the developer guide's item example, and
 * hand-computed sizes for each type; UTF-8 lengths against `TextEncoder` with fast-check.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalNumber } from "./number.ts";
import {
  attributeValueSizeBytes,
  base64DecodedLength,
  ITEM_SIZE_BYTES_MAX,
  itemSizeBytes,
  keyValueSizeBytes,
  numberSizeBytes,
  utf8ByteLength,
} from "./item_size.ts";

Deno.test("numberSizeBytes matches sizes measured on DynamoDB", () => {
  const measured: [string, number][] = [
    ["0", 1],
    ["1", 2],
    ["12", 2],
    ["123", 3],
    ["1234", 3],
    ["12345678901234567890123456789012345678", 20],
    ["0042", 2],
    ["100", 2],
    ["1010", 3],
    ["0.0000001", 2],
    ["1E125", 2],
    ["1E-100", 2],
    ["1.5", 3],
    ["15", 2],
    ["1.2", 3],
    ["1.200", 3],
    ["1.234", 4],
    ["3.14159", 5],
    ["123456", 4],
    ["100.5", 4],
    ["0.15", 2],
    ["-42", 3],
    ["-0", 1],
  ];
  for (const [literal, bytes] of measured) {
    assert.equal(numberSizeBytes(canonicalNumber(literal)), bytes, literal);
  }
});

Deno.test("numberSizeBytes counts base-100 digit pairs", () => {
  // 110 is the pairs 01 10; 0.001 is .00 10, whose leading zero pair is not stored.
  assert.equal(numberSizeBytes("110"), 3);
  assert.equal(numberSizeBytes("0.001"), 2);
  assert.equal(numberSizeBytes("0.0001234"), 4);
  assert.equal(numberSizeBytes("-0.5"), 3);
});

Deno.test("utf8ByteLength agrees with TextEncoder", () => {
  const encoder = new TextEncoder();
  assert.equal(utf8ByteLength("a€😀"), 1 + 3 + 4);
  assert.equal(utf8ByteLength("\ud800"), 3);
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      assert.equal(utf8ByteLength(text), encoder.encode(text).length);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("base64DecodedLength handles padding", () => {
  assert.equal(base64DecodedLength(""), 0);
  assert.equal(base64DecodedLength("AA=="), 1);
  assert.equal(base64DecodedLength("AAE="), 2);
  assert.equal(base64DecodedLength("AAEC"), 3);
});

Deno.test("attributeValueSizeBytes sizes each type", () => {
  const cases: [Parameters<typeof attributeValueSizeBytes>[0], number][] = [
    [{ S: "héllo" }, 6],
    [{ B: "AAEC" }, 3],
    [{ BOOL: true }, 1],
    [{ NULL: true }, 1],
    [{ N: "-42" }, 3],
    [{ SS: ["a", "bc"] }, 3],
    [{ NS: ["1", "123"] }, 5],
    [{ BS: ["AA==", "AAE="] }, 3],
    [{ L: [] }, 3],
    [{ M: {} }, 3],
    // 3 + (1 + 2) for the list element "xy".
    [{ L: [{ S: "xy" }] }, 6],
    // 3 + (1 + name 2 + value 1).
    [{ M: { ab: { BOOL: false } } }, 7],
    [{ M: { a: { L: [{ NULL: true }] } } }, 3 + 1 + 1 + (3 + 1 + 1)],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(attributeValueSizeBytes(value), bytes, JSON.stringify(value));
  }
});

Deno.test("itemSizeBytes adds names and values", () => {
  assert.equal(itemSizeBytes({ "shirt-color": { S: "R" }, "shirt-size": { S: "M" } }), 23);
  assert.equal(itemSizeBytes({}), 0);
  assert.equal(itemSizeBytes({ "é": { N: "12345" } }), 2 + 4);
  assert.equal(ITEM_SIZE_BYTES_MAX, 409600);
});

Deno.test("keyValueSizeBytes measures key values", () => {
  assert.equal(keyValueSizeBytes({ S: "ü" }), 2);
  assert.equal(keyValueSizeBytes({ B: "AAE=" }), 2);
  assert.equal(keyValueSizeBytes({ N: "1" }), 2);
  assert.throws(() => keyValueSizeBytes({ BOOL: true }), TypeError);
});
