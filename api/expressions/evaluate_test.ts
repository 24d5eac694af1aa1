/**
 * Tests of condition evaluation. A table states DynamoDB's semantics case by case (as observed on
 * DynamoDB by ScyllaDB's and dynalite's test suites); a fast-check property compares comparisons
 * and BETWEEN on random numbers, strings and binaries with a brute-force reference that orders
 * numbers with BigInt arithmetic and strings and binaries byte by byte.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { AttributeValue, Item } from "../attribute_value.ts";
import { parseCondition } from "./condition_parser.ts";
import { evaluateCondition } from "./evaluate.ts";
import { attributesOf, b, n, type Placeholders, s } from "./test_support.ts";

const ITEM: Item = {
  quantity: n("10"),
  ratio: n("10.5"),
  fruit: s("banana"),
  grin: s("\u{1F600}"),
  privateUse: s("\uE000"),
  bins: b(1, 2, 3),
  flag: { BOOL: true },
  nada: { NULL: true },
  tags: { SS: ["red", "green"] },
  nums: { NS: ["1", "5"] },
  blobs: { BS: [new Uint8Array([7]).toBase64()] },
  parts: { L: [s("a"), n("3"), { SS: ["x", "y"] }, { L: [n("1")] }] },
  doc: { M: { nested: { M: { deep: s("x") } }, entries: { L: [{ M: { v: n("1") } }] } } },
  "dotted.name": s("yes"),
  twin: n("10.0"),
  blank: s(""),
};

interface EvaluationCase {
  expression: string;
  placeholders?: Placeholders;
  expected: boolean;
}

const EVALUATION_CASES: EvaluationCase[] = [
  // Numbers compare by value.
  { expression: "quantity > :v", placeholders: { values: { ":v": n("9") } }, expected: true },
  { expression: "quantity < :v", placeholders: { values: { ":v": n("100") } }, expected: true },
  { expression: "quantity = :v", placeholders: { values: { ":v": n("10.0") } }, expected: true },
  { expression: "quantity = twin", expected: true },
  { expression: "ratio > quantity", expected: true },
  {
    expression: "quantity >= :v AND quantity <= :v",
    placeholders: { values: { ":v": n("10") } },
    expected: true,
  },
  // Strings compare by UTF-8 bytes: U+1F600 sorts after U+E000, unlike UTF-16 order.
  { expression: "fruit > :v", placeholders: { values: { ":v": s("apple") } }, expected: true },
  { expression: "fruit < :v", placeholders: { values: { ":v": s("banana_") } }, expected: true },
  { expression: "grin > #p", placeholders: { names: { "#p": "privateUse" } }, expected: true },
  { expression: "fruit <= :v", placeholders: { values: { ":v": s("banana") } }, expected: true },
  // Binaries compare by bytes.
  { expression: "bins > :v", placeholders: { values: { ":v": b(1, 2) } }, expected: true },
  { expression: "bins < :v", placeholders: { values: { ":v": b(1, 3) } }, expected: true },
  { expression: "bins = :v", placeholders: { values: { ":v": b(1, 2, 3) } }, expected: true },
  // Different types are never equal or ordered; <> is then true.
  { expression: "fruit > :v", placeholders: { values: { ":v": n("1") } }, expected: false },
  { expression: "fruit <> :v", placeholders: { values: { ":v": n("1") } }, expected: true },
  { expression: "quantity = :v", placeholders: { values: { ":v": s("10") } }, expected: false },
  { expression: "parts < :v", placeholders: { values: { ":v": n("1") } }, expected: false },
  // A missing attribute fails every comparison except <>, even against another missing one.
  { expression: "absent = :v", placeholders: { values: { ":v": n("1") } }, expected: false },
  { expression: "absent <> :v", placeholders: { values: { ":v": n("1") } }, expected: true },
  { expression: "absent < :v", placeholders: { values: { ":v": n("1") } }, expected: false },
  { expression: ":v < absent", placeholders: { values: { ":v": n("1") } }, expected: false },
  { expression: "absent = gone", expected: false },
  { expression: "absent <> gone", expected: true },
  { expression: "absent >= gone", expected: false },
  { expression: "absent BETWEEN gone AND lost", expected: false },
  // Equality covers every type; sets compare as sets.
  { expression: "flag = :v", placeholders: { values: { ":v": { BOOL: true } } }, expected: true },
  { expression: "flag = :v", placeholders: { values: { ":v": { BOOL: false } } }, expected: false },
  {
    expression: "nada = :v",
    placeholders: { values: { ":v": { NULL: true } } },
    expected: true,
  },
  {
    expression: "tags = :v",
    placeholders: { values: { ":v": { SS: ["green", "red"] } } },
    expected: true,
  },
  {
    expression: "tags = :v",
    placeholders: { values: { ":v": { SS: ["green"] } } },
    expected: false,
  },
  {
    expression: "nums = :v",
    placeholders: { values: { ":v": { NS: ["5", "1.0"] } } },
    expected: true,
  },
  {
    expression: "parts = :v",
    placeholders: {
      values: { ":v": { L: [s("a"), n("3"), { SS: ["y", "x"] }, { L: [n("1")] }] } },
    },
    expected: true,
  },
  {
    expression: "parts = :v",
    placeholders: { values: { ":v": { L: [n("3"), s("a")] } } },
    expected: false,
  },
  {
    expression: "doc.nested = :v",
    placeholders: { values: { ":v": { M: { deep: s("x") } } } },
    expected: true,
  },
  { expression: "doc.nested = :v", placeholders: { values: { ":v": { M: {} } } }, expected: false },
  // BETWEEN includes both bounds; bounds from the item may be in any order.
  {
    expression: "quantity BETWEEN :a AND :b",
    placeholders: { values: { ":a": n("10"), ":b": n("20") } },
    expected: true,
  },
  {
    expression: "quantity BETWEEN :a AND :b",
    placeholders: { values: { ":a": n("11"), ":b": n("20") } },
    expected: false,
  },
  {
    expression: "fruit between :a and :b",
    placeholders: { values: { ":a": s("b"), ":b": s("c") } },
    expected: true,
  },
  {
    expression: "quantity BETWEEN :a AND :b",
    placeholders: { values: { ":a": s("0"), ":b": s("9") } },
    expected: false,
  },
  { expression: "quantity BETWEEN ratio AND twin", expected: false },
  // IN accepts candidates of any types.
  {
    expression: "fruit IN (:a, :b)",
    placeholders: { values: { ":a": n("1"), ":b": s("banana") } },
    expected: true,
  },
  { expression: "fruit IN (:a)", placeholders: { values: { ":a": s("apple") } }, expected: false },
  { expression: "absent IN (elsewhere, gone)", expected: false },
  {
    expression: "tags IN (:a)",
    placeholders: { values: { ":a": { SS: ["green", "red"] } } },
    expected: true,
  },
  // Functions.
  { expression: "attribute_exists(nada)", expected: true },
  { expression: "attribute_exists(absent)", expected: false },
  { expression: "attribute_not_exists(absent)", expected: true },
  { expression: "attribute_not_exists(parts[9])", expected: true },
  { expression: "attribute_exists(doc.nested.deep)", expected: true },
  { expression: "attribute_exists(fruit.deep)", expected: false },
  {
    expression: "attribute_exists(#d)",
    placeholders: { names: { "#d": "dotted.name" } },
    expected: true,
  },
  {
    expression: "attribute_type(tags, :t)",
    placeholders: { values: { ":t": s("SS") } },
    expected: true,
  },
  {
    expression: "attribute_type(quantity, :t)",
    placeholders: { values: { ":t": s("S") } },
    expected: false,
  },
  {
    expression: "attribute_type(absent, :t)",
    placeholders: { values: { ":t": s("NULL") } },
    expected: false,
  },
  {
    expression: "attribute_type(:v, :t)",
    placeholders: { values: { ":v": n("0"), ":t": s("N") } },
    expected: true,
  },
  {
    expression: "begins_with(fruit, :p)",
    placeholders: { values: { ":p": s("ban") } },
    expected: true,
  },
  {
    expression: "begins_with(fruit, :p)",
    placeholders: { values: { ":p": s("nan") } },
    expected: false,
  },
  {
    expression: "begins_with(bins, :p)",
    placeholders: { values: { ":p": b(1, 2) } },
    expected: true,
  },
  {
    expression: "begins_with(bins, :p)",
    placeholders: { values: { ":p": b(2) } },
    expected: false,
  },
  {
    expression: "begins_with(quantity, :p)",
    placeholders: { values: { ":p": s("1") } },
    expected: false,
  },
  {
    expression: "begins_with(:s, fruit)",
    placeholders: { values: { ":s": s("banana split") } },
    expected: true,
  },
  {
    expression: "contains(fruit, :v)",
    placeholders: { values: { ":v": s("nan") } },
    expected: true,
  },
  {
    expression: "contains(fruit, :v)",
    placeholders: { values: { ":v": s("x") } },
    expected: false,
  },
  {
    expression: "contains(bins, :v)",
    placeholders: { values: { ":v": b(2, 3) } },
    expected: true,
  },
  {
    expression: "contains(bins, :v)",
    placeholders: { values: { ":v": b(3, 2) } },
    expected: false,
  },
  {
    expression: "contains(tags, :v)",
    placeholders: { values: { ":v": s("red") } },
    expected: true,
  },
  {
    expression: "contains(tags, :v)",
    placeholders: { values: { ":v": s("blue") } },
    expected: false,
  },
  {
    expression: "contains(nums, :v)",
    placeholders: { values: { ":v": n("5.0") } },
    expected: true,
  },
  {
    expression: "contains(blobs, :v)",
    placeholders: { values: { ":v": b(7) } },
    expected: true,
  },
  { expression: "contains(parts, :v)", placeholders: { values: { ":v": n("3") } }, expected: true },
  {
    expression: "contains(parts, :v)",
    placeholders: { values: { ":v": { SS: ["y", "x"] } } },
    expected: true,
  },
  {
    expression: "contains(parts, :v)",
    placeholders: { values: { ":v": { L: [n("1")] } } },
    expected: true,
  },
  {
    expression: "contains(nums, :v)",
    placeholders: { values: { ":v": s("5") } },
    expected: false,
  },
  {
    expression: "contains(quantity, :v)",
    placeholders: { values: { ":v": n("1") } },
    expected: false,
  },
  {
    expression: "contains(absent, :v)",
    placeholders: { values: { ":v": n("1") } },
    expected: false,
  },
  // size() of strings (UTF-16 code units), binaries, sets, lists and maps; none for others.
  { expression: "size(fruit) = :v", placeholders: { values: { ":v": n("6") } }, expected: true },
  { expression: "size(grin) = :v", placeholders: { values: { ":v": n("2") } }, expected: true },
  { expression: "size(blank) = :v", placeholders: { values: { ":v": n("0") } }, expected: true },
  { expression: "size(bins) = :v", placeholders: { values: { ":v": n("3") } }, expected: true },
  { expression: "size(tags) = :v", placeholders: { values: { ":v": n("2") } }, expected: true },
  { expression: "size(parts) = :v", placeholders: { values: { ":v": n("4") } }, expected: true },
  { expression: "size(doc) = :v", placeholders: { values: { ":v": n("2") } }, expected: true },
  {
    expression: "size(quantity) = :v",
    placeholders: { values: { ":v": n("1") } },
    expected: false,
  },
  { expression: "size(flag) <> :v", placeholders: { values: { ":v": n("1") } }, expected: true },
  { expression: "size(absent) < :v", placeholders: { values: { ":v": n("1") } }, expected: false },
  { expression: "size(fruit) = :v", placeholders: { values: { ":v": s("6") } }, expected: false },
  { expression: "size(tags) < quantity", expected: true },
  // Nested paths.
  {
    expression: "doc.nested.deep = :v",
    placeholders: { values: { ":v": s("x") } },
    expected: true,
  },
  {
    expression: "doc.entries[0].v = :v",
    placeholders: { values: { ":v": n("1") } },
    expected: true,
  },
  { expression: "parts[1] = :v", placeholders: { values: { ":v": n("3") } }, expected: true },
  { expression: "parts[1].x = :v", placeholders: { values: { ":v": n("3") } }, expected: false },
  { expression: "doc[0] <> :v", placeholders: { values: { ":v": n("3") } }, expected: true },
  // Boolean logic and precedence.
  {
    expression: "quantity = :yes OR quantity = :yes AND quantity = :no",
    placeholders: { values: { ":yes": n("10"), ":no": n("11") } },
    expected: true,
  },
  {
    expression: "(quantity = :yes OR quantity = :yes) AND quantity = :no",
    placeholders: { values: { ":yes": n("10"), ":no": n("11") } },
    expected: false,
  },
  {
    expression: "NOT quantity = :no AND quantity = :yes",
    placeholders: { values: { ":yes": n("10"), ":no": n("11") } },
    expected: true,
  },
  {
    expression: "NOT NOT NOT NOT quantity < :v",
    placeholders: { values: { ":v": n("11") } },
    expected: true,
  },
  {
    expression: "nOt (quantity = :v)",
    placeholders: { values: { ":v": n("10") } },
    expected: false,
  },
];

Deno.test("evaluateCondition follows DynamoDB's semantics", () => {
  for (const testCase of EVALUATION_CASES) {
    const condition = parseCondition(
      testCase.expression,
      "ConditionExpression",
      attributesOf(testCase.placeholders),
    );
    assert.equal(evaluateCondition(condition, ITEM), testCase.expected, testCase.expression);
  }
});

Deno.test("evaluateCondition treats an absent item as empty", () => {
  const attributes = attributesOf({ values: { ":v": n("1") } });
  const exists = parseCondition("attribute_exists(pk)", "ConditionExpression", attributes);
  const missing = parseCondition("attribute_not_exists(pk)", "ConditionExpression", attributes);
  const notEqual = parseCondition("pk <> :v", "ConditionExpression", attributes);
  assert.equal(evaluateCondition(exists, undefined), false);
  assert.equal(evaluateCondition(missing, undefined), true);
  assert.equal(evaluateCondition(notEqual, undefined), true);
});

Deno.test("evaluateCondition reads an attribute named __proto__", () => {
  const item: Item = JSON.parse('{"__proto__": {"N": "1"}}');
  const condition = parseCondition(
    "#p = :v",
    "ConditionExpression",
    attributesOf({
      names: { "#p": "__proto__" },
      values: { ":v": n("1") },
    }),
  );
  assert.equal(evaluateCondition(condition, item), true);
  assert.equal(evaluateCondition(condition, {}), false);
});

// Brute-force reference for ordered comparisons.

/** A number as an integer mantissa times a power of ten. */
interface Decimal {
  mantissa: bigint;
  exponent: number;
}

function decimalText(value: Decimal): string {
  return `${value.mantissa}e${value.exponent}`;
}

function compareDecimals(a: Decimal, b: Decimal): number {
  const exponent = Math.min(a.exponent, b.exponent);
  const scaledA = a.mantissa * 10n ** BigInt(a.exponent - exponent);
  const scaledB = b.mantissa * 10n ** BigInt(b.exponent - exponent);
  return scaledA < scaledB ? -1 : scaledA > scaledB ? 1 : 0;
}

function compareByteArrays(a: Uint8Array, b: Uint8Array): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index] !== b[index]) return (a[index] as number) - (b[index] as number);
  }
  return a.length - b.length;
}

/** A generated operand: its wire value and the data the reference compares. */
type Generated =
  | { type: "N"; value: AttributeValue; decimal: Decimal }
  | { type: "S" | "B"; value: AttributeValue; bytes: Uint8Array }
  | { type: "BOOL"; value: AttributeValue }
  | { type: "missing" };

const decimalArbitrary = fc.record({
  mantissa: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
  exponent: fc.integer({ min: -30, max: 30 }),
});

/** Small alphabets make equal values and shared prefixes common. */
const generatedArbitrary: fc.Arbitrary<Generated> = fc.oneof(
  decimalArbitrary.map((decimal): Generated => ({
    type: "N",
    value: { N: canonical(decimal) },
    decimal,
  })),
  fc.string({ unit: fc.constantFrom("a", "b", "é", "\uE000", "\u{1F600}"), maxLength: 4 }).map(
    (text): Generated => ({ type: "S", value: { S: text }, bytes: new TextEncoder().encode(text) }),
  ),
  fc.uint8Array({ min: 0, max: 3, maxLength: 3 }).map((bytes): Generated => ({
    type: "B",
    value: { B: bytes.toBase64() },
    bytes,
  })),
  fc.boolean().map((flag): Generated => ({ type: "BOOL", value: { BOOL: flag } })),
  fc.constant<Generated>({ type: "missing" }),
);

/** Writes a decimal in plain notation, as validated numbers arrive. */
function canonical(decimal: Decimal): string {
  const text = decimalText(decimal);
  const [mantissa, exponentText] = text.split("e") as [string, string];
  const negative = mantissa.startsWith("-");
  const digits = negative ? mantissa.slice(1) : mantissa;
  const exponent = Number(exponentText);
  const plain = exponent >= 0
    ? digits + "0".repeat(exponent)
    : digits.padStart(-exponent + 1, "0").replace(new RegExp(`(\\d{${-exponent}})$`), ".$1");
  const trimmed = plain.includes(".") ? plain.replace(/0+$/, "").replace(/\.$/, "") : plain;
  const normalized = trimmed.replace(/^0+(?=\d)/, "");
  return normalized === "0" ? "0" : (negative ? "-" : "") + normalized;
}

/** Orders two generated values, or returns `undefined` when DynamoDB would not order them. */
function referenceOrder(a: Generated, b: Generated): number | undefined {
  if (a.type === "N" && b.type === "N") return compareDecimals(a.decimal, b.decimal);
  if ((a.type === "S" && b.type === "S") || (a.type === "B" && b.type === "B")) {
    return compareByteArrays(a.bytes, b.bytes);
  }
  return undefined;
}

function referenceEqual(a: Generated, b: Generated): boolean {
  if (a.type === "missing" || b.type === "missing" || a.type !== b.type) return false;
  if (a.type === "BOOL") return JSON.stringify(a.value) === JSON.stringify(b.value);
  return referenceOrder(a, b) === 0;
}

function referenceComparison(operator: string, left: Generated, right: Generated): boolean {
  if (operator === "=") return referenceEqual(left, right);
  if (operator === "<>") return !referenceEqual(left, right);
  const order = referenceOrder(left, right);
  if (order === undefined) return false;
  return {
    "<": order < 0,
    "<=": order <= 0,
    ">": order > 0,
    ">=": order >= 0,
  }[operator] as boolean;
}

/** Puts generated values into an item (attributes `x`, `y`, `z`) and placeholders. */
function bind(values: Generated[]): { item: Item; placeholders: Placeholders; operands: string[] } {
  const item: Item = {};
  const placeholderValues: Record<string, AttributeValue> = {};
  const operands = values.map((generated, index) => {
    const name = ["x", "y", "z"][index] as string;
    if (generated.type === "missing") return name;
    // Even positions read the value from the item, odd positions from a placeholder.
    if (index % 2 === 0) {
      item[name] = generated.value;
      return name;
    }
    placeholderValues[`:${name}`] = generated.value;
    return `:${name}`;
  });
  const hasValues = Object.keys(placeholderValues).length > 0;
  return { item, placeholders: hasValues ? { values: placeholderValues } : {}, operands };
}

Deno.test("evaluateCondition comparisons match a brute-force reference", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("=", "<>", "<", "<=", ">", ">="),
      generatedArbitrary,
      generatedArbitrary,
      (operator, left, right) => {
        const { item, placeholders, operands } = bind([left, right]);
        // Constants of the wrong type are a validation error for ordering operators, not false.
        const rightIsBadConstant = operands[1]?.startsWith(":") && right.type === "BOOL";
        fc.pre(!(rightIsBadConstant && operator !== "=" && operator !== "<>"));
        const condition = parseCondition(
          `${operands[0]} ${operator} ${operands[1]}`,
          "ConditionExpression",
          attributesOf(placeholders),
        );
        return evaluateCondition(condition, item) === referenceComparison(operator, left, right);
      },
    ),
    { numRuns: 2000, seed: 20241 },
  );
});

Deno.test("evaluateCondition BETWEEN matches a brute-force reference", () => {
  fc.assert(
    fc.property(
      generatedArbitrary,
      generatedArbitrary,
      generatedArbitrary,
      (value, lower, upper) => {
        const { item, placeholders, operands } = bind([value, lower, upper]);
        // A constant bound of the wrong type is a validation error rather than a false condition.
        fc.pre(!(operands[1]?.startsWith(":") && lower.type === "BOOL"));
        const condition = parseCondition(
          `${operands[0]} BETWEEN ${operands[1]} AND ${operands[2]}`,
          "ConditionExpression",
          attributesOf(placeholders),
        );
        const fromLower = referenceOrder(value, lower);
        const toUpper = referenceOrder(value, upper);
        const expected = fromLower !== undefined && toUpper !== undefined && fromLower >= 0 &&
          toUpper <= 0;
        return evaluateCondition(condition, item) === expected;
      },
    ),
    { numRuns: 2000, seed: 20242 },
  );
});
