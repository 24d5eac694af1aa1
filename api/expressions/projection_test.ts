/**
 * Tests of ProjectionExpression parsing (exact DynamoDB messages) and of projecting items, with
 * cases observed on DynamoDB by ScyllaDB's test suite.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Item } from "../attribute_value.ts";
import { parseProjection, projectItem, selectPaths } from "./projection.ts";
import { attributesOf, n, type Placeholders, s, validationMessageOf } from "./test_support.ts";

const ITEM: Item = {
  p: s("key"),
  a: { M: { b: { L: [n("2"), n("4"), { M: { x: s("hi"), y: s("yo") } }] }, c: n("5") } },
  b: s("hello"),
  "a.b": s("dotted"),
};

interface ProjectionCase {
  expression: string;
  placeholders?: Placeholders;
  expected: Item;
}

const PROJECTION_CASES: ProjectionCase[] = [
  { expression: "a", expected: { a: ITEM.a as never } },
  {
    expression: "a.b",
    expected: { a: { M: { b: { L: [n("2"), n("4"), { M: { x: s("hi"), y: s("yo") } }] } } } },
  },
  { expression: "a.b[0]", expected: { a: { M: { b: { L: [n("2")] } } } } },
  { expression: "a.b[2].y", expected: { a: { M: { b: { L: [{ M: { y: s("yo") } }] } } } } },
  {
    expression: "a.b[2], a.b[0]",
    expected: { a: { M: { b: { L: [n("2"), { M: { x: s("hi"), y: s("yo") } }] } } } },
  },
  { expression: "a.b[0],a.b[1]", expected: { a: { M: { b: { L: [n("2"), n("4")] } } } } },
  { expression: "a.b[0],a.c", expected: { a: { M: { b: { L: [n("2")] }, c: n("5") } } } },
  { expression: " a.c ,  b ", expected: { a: { M: { c: n("5") } }, b: s("hello") } },
  { expression: "p, b", expected: { p: s("key"), b: s("hello") } },
  // Paths that address nothing are skipped.
  { expression: "x", expected: {} },
  { expression: "a.b[3]", expected: {} },
  { expression: "a.x.y", expected: {} },
  { expression: "a.b.x", expected: {} },
  { expression: "a[0]", expected: {} },
  { expression: "a.b[0][0]", expected: {} },
  { expression: "a.x, a.b[0], x, a.b[3].x", expected: { a: { M: { b: { L: [n("2")] } } } } },
  // A placeholder is one path step, even when the name it stands for contains a dot.
  {
    expression: "#n1.#n2",
    placeholders: { names: { "#n1": "a", "#n2": "c" } },
    expected: { a: { M: { c: n("5") } } },
  },
  {
    expression: "#name",
    placeholders: { names: { "#name": "a.b" } },
    expected: { "a.b": s("dotted") },
  },
];

Deno.test("projectItem keeps the nesting of projected paths", () => {
  for (const testCase of PROJECTION_CASES) {
    const paths = parseProjection(testCase.expression, attributesOf(testCase.placeholders));
    assert.deepEqual(projectItem(ITEM, paths), testCase.expected, testCase.expression);
  }
});

Deno.test("projectItem does not modify the item", () => {
  const before = structuredClone(ITEM);
  const projected = projectItem(ITEM, [["a", "b", 0]]);
  (projected.a as { M: Record<string, unknown> }).M.c = n("9");
  assert.deepEqual(ITEM, before);
});

Deno.test("projectItem keeps an attribute named __proto__ as data", () => {
  const item: Item = JSON.parse('{"__proto__": {"M": {"__proto__": {"S": "x"}}}}');
  const projected = projectItem(item, [["__proto__", "__proto__"]]);
  assert.equal(JSON.stringify(projected), '{"__proto__":{"M":{"__proto__":{"S":"x"}}}}');
  assert.equal(Object.getPrototypeOf(projected), Object.prototype);
});

Deno.test("selectPaths returns the values at updated paths", () => {
  const selected = selectPaths(ITEM, [["a", "c"], ["b"], ["gone"]]);
  assert.deepEqual(selected, { a: { M: { c: n("5") } }, b: s("hello") });
});

interface ErrorCase {
  expression: string;
  placeholders?: Placeholders;
  message: string;
}

const ERROR_CASES: ErrorCase[] = [
  { expression: "", message: "Invalid ProjectionExpression: The expression can not be empty;" },
  {
    // Unlike condition expressions, DynamoDB does not state the size here.
    expression: "x".repeat(4097),
    message: "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed " +
      "size;",
  },
  {
    expression: "a,",
    message: 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","',
  },
  {
    expression: ",a",
    message: 'Invalid ProjectionExpression: Syntax error; token: ",", near: ",a"',
  },
  {
    expression: "a,,b",
    message: 'Invalid ProjectionExpression: Syntax error; token: ",", near: ",,b"',
  },
  {
    expression: "!!",
    message: 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"',
  },
  {
    expression: "a b",
    message: 'Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"',
  },
  {
    expression: ":v",
    placeholders: { values: { ":v": n("1") } },
    message: 'Invalid ProjectionExpression: Syntax error; token: ":v", near: ":v"',
  },
  {
    expression: "a.Name",
    message: "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: Name",
  },
  {
    expression: "#wrong",
    placeholders: { names: { "#n": "a" } },
    message: "Invalid ProjectionExpression: An expression attribute name used in the document " +
      "path is not defined; attribute name: #wrong",
  },
  {
    // A reserved word outranks an undefined placeholder written before it.
    expression: "#wrong, year",
    message: "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: year",
  },
  {
    expression: "a,a",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a], path two: [a]",
  },
  {
    expression: "a.b[0],a.b[0]",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a, b, [0]], path two: [a, b, [0]]",
  },
  {
    expression: "a.b.d.e, a.b",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a, b, d, e], path two: [a, b]",
  },
  {
    expression: "a.b, a[1]",
    message: "Invalid ProjectionExpression: Two document paths conflict with each other; must " +
      "remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]",
  },
  {
    // Paths are added from the last to the first, so the clash nearest the end is found first.
    expression: "a.b, a[1], c, c",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [c], path two: [c]",
  },
  {
    expression: "c, c, a.b, a[1]",
    message: "Invalid ProjectionExpression: Two document paths conflict with each other; must " +
      "remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]",
  },
  {
    // Path two follows the first branch added under a, which came from a.b.
    expression: "a, a.x.y, a.b",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a], path two: [a, b]",
  },
  {
    expression: "#a, #b",
    message: "Invalid ProjectionExpression: An expression attribute name used in the document " +
      "path is not defined; attribute name: #b",
  },
  {
    // Each path is resolved just before it is added, so an earlier clash beats a later name.
    expression: "#a, b, b",
    message: "Invalid ProjectionExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [b], path two: [b]",
  },
  {
    expression: "a[99999999999]",
    message: "Invalid ProjectionExpression: List index is not within the allowable range; " +
      "index: [99999999999]",
  },
  {
    expression: "a" + ".b".repeat(32),
    message: "Invalid ProjectionExpression: The document path has too many nesting levels; " +
      "nesting levels: 33",
  },
];

Deno.test("parseProjection reports DynamoDB's errors", () => {
  for (const testCase of ERROR_CASES) {
    const message = validationMessageOf(() =>
      parseProjection(testCase.expression, attributesOf(testCase.placeholders))
    );
    assert.equal(message, testCase.message, testCase.expression.slice(0, 40));
  }
});

Deno.test("parseProjection accepts paths that share a prefix", () => {
  for (const expression of ["a, b", "a.b, a.c", "a.b.d, a.b.e", "a[1], a[2]", "a.b, a.c[2]"]) {
    assert.equal(parseProjection(expression, attributesOf()).length, 2, expression);
  }
  assert.deepEqual(parseProjection("x".repeat(4096), attributesOf()), [["x".repeat(4096)]]);
});

Deno.test("parseProjection marks its placeholders as used", () => {
  const attributes = attributesOf({ names: { "#a": "a", "#b": "b" } });
  parseProjection("#a.#b", attributes);
  attributes.assertAllUsed();
});
