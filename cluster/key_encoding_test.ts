/**
 * Tests for the key encoding. Method: golden bytes for the worked example in `KEY_FORMAT.md`, then
 * fast-check properties against a brute-force DynamoDB comparator (numbers by value with
 * decimal.js, strings by UTF-8 bytes, binaries by bytes), for single values and for
 * partition key ‖ sort key pairs, plus round trips through `decodeKeyValue`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { AttributeValue, ScalarAttributeType } from "../api/attribute_value.ts";
import { DynamoDecimal, formatNumberParts } from "../api/number.ts";
import { compareKeys } from "../storage/engine.ts";
import { AssertionError } from "../util/assert.ts";
import { decodeKeyValue, encodeKeyValue, encodeKeyValues } from "./key_encoding.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.split(" "), (pair) => parseInt(pair, 16));
}

Deno.test("encodeKeyValue matches the worked example", () => {
  // Each row is in KEY_FORMAT.md, section "Key encoding".
  const golden: [AttributeValue, string][] = [
    [{ S: "ab" }, "61 62 00 01"],
    [{ S: "a\u0000b" }, "61 00 ff 62 00 01"],
    [{ S: "é" }, "c3 a9 00 01"],
    [{ B: "AAE=" }, "00 ff 01 00 01"],
    [{ N: "0" }, "02"],
    [{ N: "12.5" }, "03 83 0d 33 00"],
    [{ N: "1000" }, "03 85 0b 00"],
    [{ N: "-1.5" }, "01 7d ef ff"],
    [{ N: "-0.001" }, "01 80 f4 ff"],
  ];
  for (const [value, expected] of golden) {
    assert.equal(hex(encodeKeyValue(value)), expected, JSON.stringify(value));
  }
  assert.equal(
    hex(encodeKeyValues([{ S: "USER#1" }, { N: "12.5" }])),
    "55 53 45 52 23 31 00 01 03 83 0d 33 00",
  );
});

Deno.test("encodeKeyValue rejects non-key types", () => {
  assert.throws(() => encodeKeyValue({ BOOL: true }), AssertionError);
  assert.throws(() => encodeKeyValue({ SS: ["a"] }), AssertionError);
});

Deno.test("decodeKeyValue rejects corrupt keys", () => {
  assert.throws(() => decodeKeyValue(fromHex("61 62"), 0, "S"), AssertionError);
  assert.throws(() => decodeKeyValue(fromHex("61 00 07"), 0, "S"), AssertionError);
  assert.throws(() => decodeKeyValue(fromHex("09"), 0, "N"), AssertionError);
  assert.throws(() => decodeKeyValue(fromHex("03 83 0d"), 0, "N"), AssertionError);
  assert.throws(() => decodeKeyValue(fromHex("03 83 70 00"), 0, "N"), AssertionError);
});

Deno.test("numbers encode in value order", () => {
  const ascending = ["-1e125", "-10", "-9.5", "-1.001", "-1", "-0.5", "-1e-130", "0", "1e-130"]
    .concat(["0.001", "0.01", "1", "1.001", "1.01", "1.1", "9.5", "10", "10.5", "100", "1e125"]);
  for (let index = 1; index < ascending.length; index++) {
    const lower = encodeKeyValue({ N: ascending[index - 1] as string });
    const higher = encodeKeyValue({ N: ascending[index] as string });
    assert.ok(compareKeys(lower, higher) < 0, `${ascending[index - 1]} < ${ascending[index]}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Brute-force DynamoDB comparator and generators

const utf8 = new TextEncoder();

function base64ToBytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
}

function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** DynamoDB's order of two key values of the same type, computed the obvious way. */
function compareDynamo(a: AttributeValue, b: AttributeValue): number {
  if ("N" in a && "N" in b) return new DynamoDecimal(a.N).comparedTo(new DynamoDecimal(b.N));
  if ("S" in a && "S" in b) return Math.sign(compareKeys(utf8.encode(a.S), utf8.encode(b.S)));
  if ("B" in a && "B" in b) {
    return Math.sign(compareKeys(base64ToBytes(a.B), base64ToBytes(b.B)));
  }
  throw new Error("values of different types");
}

/** Canonical numbers across the whole range, with small values and near ties over-represented. */
const numberValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.record({
    negative: fc.boolean(),
    digits: fc.stringMatching(/^[1-9]([0-9]{0,36}[1-9])?$/),
    exponent: fc.integer({ min: -130, max: 125 }),
  }).map((parts) => ({ N: formatNumberParts(parts) })),
  fc.record({
    negative: fc.boolean(),
    digits: fc.constantFrom("1", "11", "101", "1001", "15", "2", "9", "99"),
    exponent: fc.integer({ min: -3, max: 3 }),
  }).map((parts) => ({ N: formatNumberParts(parts) })),
  fc.constant({ N: "0" }),
);

const trickyCharacter = fc.constantFrom(
  "\u0000",
  "\u0001",
  "a",
  "b",
  "\u007f",
  "\u0080",
  "é",
  "\uffff",
  "😀",
  "\u{10ffff}",
);

/** Strings with 0x00, non-ASCII and astral characters (well-formed UTF-16 only). */
const stringValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ unit: trickyCharacter, maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: "binary-ascii", maxLength: 6 }),
).map((text) => ({ S: text }));

const binaryValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.array(fc.constantFrom(0, 1, 0x7f, 0xff), { maxLength: 6 }).map((b) => Uint8Array.from(b)),
).map((bytes) => ({ B: bytesToBase64(bytes) }));

const valueOfType: Record<ScalarAttributeType, fc.Arbitrary<AttributeValue>> = {
  S: stringValue,
  N: numberValue,
  B: binaryValue,
};

const RUNS = 3000;

for (const type of ["S", "N", "B"] as const) {
  Deno.test(`${type} encoding order matches DynamoDB`, () => {
    fc.assert(
      fc.property(valueOfType[type], valueOfType[type], (a, b) => {
        const actual = Math.sign(compareKeys(encodeKeyValue(a), encodeKeyValue(b)));
        assert.equal(actual, compareDynamo(a, b), `${JSON.stringify(a)} ${JSON.stringify(b)}`);
      }),
      { numRuns: RUNS },
    );
  });

  Deno.test(`${type} encoding round-trips`, () => {
    fc.assert(
      fc.property(valueOfType[type], fc.uint8Array({ maxLength: 4 }), (value, trailing) => {
        const encoded = encodeKeyValue(value);
        const withTrailing = new Uint8Array([...encoded, ...trailing]);
        const decoded = decodeKeyValue(withTrailing, 0, type);
        assert.deepEqual(decoded.value, value);
        assert.equal(decoded.nextOffset, encoded.length);
      }),
      { numRuns: RUNS },
    );
  });
}

/** A pair generator that often repeats the first element, so sort keys decide the order. */
function keyPair(
  partitionKey: fc.Arbitrary<AttributeValue>,
  sortKey: fc.Arbitrary<AttributeValue>,
): fc.Arbitrary<[[AttributeValue, AttributeValue], [AttributeValue, AttributeValue]]> {
  return fc.tuple(partitionKey, partitionKey, sortKey, sortKey, fc.boolean()).map(
    ([pk1, pk2, sk1, sk2, samePartition]) => [[pk1, sk1], [samePartition ? pk1 : pk2, sk2]],
  );
}

const compositeTypes: [ScalarAttributeType, ScalarAttributeType][] = [
  ["S", "S"],
  ["S", "N"],
  ["N", "B"],
  ["B", "S"],
];

for (const [partitionType, sortType] of compositeTypes) {
  Deno.test(`${partitionType}+${sortType} composite keys order and decode`, () => {
    const pairs = keyPair(valueOfType[partitionType], valueOfType[sortType]);
    fc.assert(
      fc.property(pairs, ([first, second]) => {
        const expected = compareDynamo(first[0], second[0]) || compareDynamo(first[1], second[1]);
        const actual = Math.sign(compareKeys(encodeKeyValues(first), encodeKeyValues(second)));
        assert.equal(actual, expected, `${JSON.stringify(first)} ${JSON.stringify(second)}`);

        const encoded = encodeKeyValues(first);
        const partition = decodeKeyValue(encoded, 0, partitionType);
        const sort = decodeKeyValue(encoded, partition.nextOffset, sortType);
        assert.deepEqual([partition.value, sort.value], first);
        assert.equal(sort.nextOffset, encoded.length);
      }),
      { numRuns: RUNS },
    );
  });
}
