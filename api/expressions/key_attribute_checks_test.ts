/**
 * Tests of the Query checks on key attributes in filters and paths, with DynamoDB's messages as
 * recorded by dynalite's test suite.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseCondition } from "./condition_parser.ts";
import {
  assertFilterAvoidsKeyAttributes,
  assertKeyAttributesScalar,
  conditionPaths,
} from "./key_attribute_checks.ts";
import { convertFilter } from "./legacy.ts";
import { attributesOf, n, s, validationMessageOf } from "./test_support.ts";

function filterOf(expression: string) {
  const values = { ":v": n("1"), ":t": s("S") };
  const placeholders = Object.fromEntries(
    Object.entries(values).filter(([key]) => expression.includes(key)),
  );
  return parseCondition(expression, "FilterExpression", attributesOf({ values: placeholders }));
}

Deno.test("conditionPaths lists every path a condition reads", () => {
  const condition = filterOf(
    "a.b = :v AND (size(c[1]) > :v OR NOT attribute_exists(d)) AND e IN (f, :v) AND " +
      "attribute_type(g, :t) AND begins_with(h, i) AND contains(j, k) AND l BETWEEN m AND o",
  );
  assert.deepEqual(conditionPaths(condition), [
    ["a", "b"],
    ["c", 1],
    ["d"],
    ["e"],
    ["f"],
    ["g"],
    ["h"],
    ["i"],
    ["j"],
    ["k"],
    ["l"],
    ["m"],
    ["o"],
  ]);
});

Deno.test("assertFilterAvoidsKeyAttributes rejects key attributes", () => {
  assert.equal(
    validationMessageOf(() =>
      assertFilterAvoidsKeyAttributes(
        filterOf("x = :v OR sk.y = :v"),
        ["pk", "sk"],
        "Filter Expression",
      )
    ),
    "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
  );
  assert.equal(
    validationMessageOf(() =>
      assertFilterAvoidsKeyAttributes(
        filterOf("sk = :v AND pk = :v"),
        ["pk", "sk"],
        "Filter Expression",
      )
    ),
    "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk",
  );
  const legacy = convertFilter(
    { pk: { ComparisonOperator: "NOT_NULL" } },
    undefined,
    "QueryFilter",
  );
  assert.ok(legacy !== undefined);
  assert.equal(
    validationMessageOf(() => assertFilterAvoidsKeyAttributes(legacy, ["pk"], "QueryFilter")),
    "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk",
  );
  assertFilterAvoidsKeyAttributes(
    filterOf("x = :v AND pkx = :v"),
    ["pk", "sk"],
    "Filter Expression",
  );
});

Deno.test("assertKeyAttributesScalar rejects paths into key attributes", () => {
  const prefix = "Key attributes must be scalars; list random access '[]' and map lookup '.' are " +
    "not allowed: ";
  assert.equal(
    validationMessageOf(() => assertKeyAttributesScalar([["a"], ["pk", "x"]], ["pk", "sk"])),
    `${prefix}Key: pk`,
  );
  assert.equal(
    validationMessageOf(() => assertKeyAttributesScalar([["gsi", 0]], ["pk"], ["gsi"])),
    `${prefix}IndexKey: gsi`,
  );
  assertKeyAttributesScalar([["pk"], ["sk"], ["a", "pk"]], ["pk", "sk"]);
});
