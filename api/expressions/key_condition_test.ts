/**
 * Tests of KeyConditionExpression parsing against hash-only and hash-and-range key schemas, with
 * the exact messages DynamoDB returns (as recorded by dynalite's test suite, which was checked
 * against DynamoDB).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type KeyConditionResult, type KeySchema, parseKeyCondition } from "./key_condition.ts";
import { attributesOf, n, type Placeholders, s, validationMessageOf } from "./test_support.ts";

const HASH_TABLE: KeySchema = { partitionKey: { name: "a", type: "S" } };
const RANGE_TABLE: KeySchema = {
  partitionKey: { name: "a", type: "S" },
  sortKey: { name: "b", type: "S" },
};
const NUMBER_RANGE_TABLE: KeySchema = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "N" },
};

interface ErrorCase {
  expression: string;
  placeholders?: Placeholders;
  schema?: KeySchema;
  message: string;
}

const SHAPE_ERRORS: ErrorCase[] = [
  { expression: "", message: "Invalid KeyConditionExpression: The expression can not be empty;" },
  {
    expression: "a > 4",
    message: 'Invalid KeyConditionExpression: Syntax error; token: "4", near: "> 4"',
  },
  {
    expression: "attribute_type(a, b)",
    message: "Invalid KeyConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}",
  },
  {
    expression: "a between :b and :a",
    placeholders: { values: { ":a": s("a"), ":b": n("1") } },
    message: "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for " +
      "lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: " +
      "AttributeValue: {S:a}",
  },
  {
    expression: "attribute_type(a, :a)",
    placeholders: { values: { ":a": s("S") } },
    message: "Invalid operator used in KeyConditionExpression: attribute_type",
  },
  {
    expression: "a > b and size(b) > c or a > c",
    message: "Invalid operator used in KeyConditionExpression: OR",
  },
  {
    expression: "a in (b, size(c), d)",
    message: "Invalid operator used in KeyConditionExpression: IN",
  },
  {
    expression: "attribute_exists(a)",
    message: "Invalid operator used in KeyConditionExpression: attribute_exists",
  },
  {
    expression: "attribute_not_exists(a)",
    message: "Invalid operator used in KeyConditionExpression: attribute_not_exists",
  },
  {
    expression: "contains(a.d, b)",
    message: "Invalid operator used in KeyConditionExpression: contains",
  },
  { expression: "not a > b", message: "Invalid operator used in KeyConditionExpression: NOT" },
  { expression: "a <> b", message: "Invalid operator used in KeyConditionExpression: <>" },
  {
    expression: ":a between size(b) and size(a) and b > :b",
    placeholders: { values: { ":a": s("1"), ":b": s("1") } },
    message: "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key " +
      "attribute as its first operand",
  },
  {
    expression: "begins_with(:a, b) and a > :b",
    placeholders: { values: { ":a": s("1"), ":b": s("1") } },
    message: "Invalid condition in KeyConditionExpression: begins_with operator must have the " +
      "key attribute as its first operand",
  },
  {
    expression: "size(b) > a AND a.b > b AND b > c",
    message: "KeyConditionExpressions cannot contain nested operations",
  },
  {
    expression: "a > size(b.d)",
    message: "KeyConditionExpressions cannot contain nested operations",
  },
  {
    expression: "a between size(b) and size(a)",
    message: "KeyConditionExpressions cannot contain nested operations",
  },
  {
    expression: "size(a) between :a and :b",
    placeholders: { values: { ":a": n("1"), ":b": n("2") } },
    message: "KeyConditionExpressions cannot contain nested operations",
  },
  {
    expression: "b > a.b",
    message: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one " +
      "condition",
  },
  {
    expression: "b between c[1] and d",
    message: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one " +
      "condition",
  },
  {
    expression: "a between b and size(a)",
    message: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one " +
      "condition",
  },
  {
    expression: "begins_with(a, b)",
    message: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one " +
      "condition",
  },
  {
    expression: "b.d > a AND c.d > e.f",
    message: "KeyConditionExpressions cannot have conditions on nested attributes",
  },
  {
    expression: "b[0] > a",
    message: "KeyConditionExpressions cannot have conditions on nested attributes",
  },
  {
    expression: ":b > :a AND a < :b",
    placeholders: { values: { ":a": n("1"), ":b": n("1") } },
    message: "Invalid condition in KeyConditionExpression: No key attribute specified",
  },
  {
    expression: ":a > b AND :a < :b",
    placeholders: { values: { ":a": n("1"), ":b": n("1") } },
    message: "Invalid condition in KeyConditionExpression: No key attribute specified",
  },
  {
    expression: "b > :a AND b < :a and c = :a and d = :a",
    placeholders: { values: { ":a": n("1") } },
    message: "KeyConditionExpressions must only contain one condition per key",
  },
  {
    expression: "(a > :a and b > :a) and (b > :a and c > :a)",
    placeholders: { values: { ":a": n("1") } },
    message: "KeyConditionExpressions must only contain one condition per key",
  },
  {
    expression: ":a = a and b = :a and :a = c",
    placeholders: { values: { ":a": s("a") } },
    message: "Conditions can be of length 1 or 2 only",
  },
  {
    expression: "a = :v",
    placeholders: { values: { ":v": { BOOL: true } } },
    message: "One or more parameter values were invalid: ComparisonOperator EQ is not valid for " +
      "BOOL AttributeValue type",
  },
  {
    // Each condition's value types are checked before the next condition's shape.
    expression: "a = :v AND b <> :w",
    placeholders: { values: { ":v": { BOOL: true }, ":w": n("1") } },
    message: "One or more parameter values were invalid: ComparisonOperator EQ is not valid for " +
      "BOOL AttributeValue type",
  },
];

Deno.test("parseKeyCondition rejects conditions a Query cannot use", () => {
  for (const testCase of SHAPE_ERRORS) {
    const message = validationMessageOf(() =>
      parseKeyCondition(
        testCase.expression,
        attributesOf(testCase.placeholders),
        testCase.schema ?? RANGE_TABLE,
      )
    );
    assert.equal(message, testCase.message, testCase.expression);
  }
});

const SCHEMA_ERRORS: ErrorCase[] = [
  {
    expression: ":a > a",
    placeholders: { values: { ":a": n("1") } },
    schema: HASH_TABLE,
    message: "One or more parameter values were invalid: Condition parameter type does not " +
      "match schema type",
  },
  ...[
    "a > :a",
    "a < :a",
    ":a <= a",
    ":a >= a",
    "begins_with(a, :a)",
    "a between :a and :a",
    "a = :a AND b = :a",
    "y = :a and z = :a",
  ].map((expression): ErrorCase => ({
    expression,
    placeholders: { values: { ":a": s("1") } },
    schema: HASH_TABLE,
    message: "Query key condition not supported",
  })),
  {
    expression: "z between :a and :b",
    placeholders: { values: { ":a": n("1"), ":b": n("1") } },
    message: "Query condition missed key schema element: a",
  },
  {
    expression: "a = :a and c = :b",
    placeholders: { values: { ":a": s("b"), ":b": n("1") } },
    message: "Query condition missed key schema element: b",
  },
  {
    expression: "b = :a",
    placeholders: { values: { ":a": s("b") } },
    message: "Query condition missed key schema element: a",
  },
  {
    expression: "a = :a AND b > :n",
    placeholders: { values: { ":a": s("x"), ":n": n("1") } },
    message: "One or more parameter values were invalid: Condition parameter type does not " +
      "match schema type",
  },
  {
    expression: "pk = :p AND begins_with(sk, :n)",
    placeholders: { values: { ":p": s("x"), ":n": n("1") } },
    schema: NUMBER_RANGE_TABLE,
    message: "Invalid KeyConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: begins_with, operand type: N",
  },
  {
    expression: "pk = :p AND begins_with(sk, :s)",
    placeholders: { values: { ":p": s("x"), ":s": s("1") } },
    schema: NUMBER_RANGE_TABLE,
    message: "One or more parameter values were invalid: Condition parameter type does not " +
      "match schema type",
  },
];

Deno.test("parseKeyCondition checks conditions against the key schema", () => {
  for (const testCase of SCHEMA_ERRORS) {
    const message = validationMessageOf(() =>
      parseKeyCondition(
        testCase.expression,
        attributesOf(testCase.placeholders),
        testCase.schema ?? RANGE_TABLE,
      )
    );
    assert.equal(message, testCase.message, testCase.expression);
  }
});

interface ResultCase {
  expression: string;
  placeholders: Placeholders;
  schema?: KeySchema;
  result: KeyConditionResult;
}

const RESULT_CASES: ResultCase[] = [
  {
    expression: "a = :a",
    placeholders: { values: { ":a": s("x") } },
    schema: HASH_TABLE,
    result: { partitionKeyValue: s("x") },
  },
  {
    expression: "a = :a",
    placeholders: { values: { ":a": s("x") } },
    result: { partitionKeyValue: s("x") },
  },
  {
    expression: "#pk = :pk AND begins_with(#sk, :prefix)",
    placeholders: {
      names: { "#pk": "a", "#sk": "b" },
      values: { ":pk": s("USER#123"), ":prefix": s("ORDER#") },
    },
    result: {
      partitionKeyValue: s("USER#123"),
      sortKeyCondition: { operator: "begins_with", values: [s("ORDER#")] },
    },
  },
  {
    expression: ":lo <= b AND :a = a",
    placeholders: { values: { ":a": s("x"), ":lo": s("2024") } },
    result: {
      partitionKeyValue: s("x"),
      sortKeyCondition: { operator: ">=", values: [s("2024")] },
    },
  },
  {
    expression: "(a = :a) and (b BETWEEN :lo AND :hi)",
    placeholders: { values: { ":a": s("x"), ":lo": s("2024-01"), ":hi": s("2024-12") } },
    result: {
      partitionKeyValue: s("x"),
      sortKeyCondition: { operator: "BETWEEN", values: [s("2024-01"), s("2024-12")] },
    },
  },
  ...(["=", "<", "<=", ">", ">="] as const).map((operator): ResultCase => ({
    expression: `pk = :p AND sk ${operator} :n`,
    placeholders: { values: { ":p": s("x"), ":n": n("5") } },
    schema: NUMBER_RANGE_TABLE,
    result: { partitionKeyValue: s("x"), sortKeyCondition: { operator, values: [n("5")] } },
  })),
  ...([["<", ">"], ["<=", ">="], [">", "<"], [">=", "<="], ["=", "="]] as const).map((
    [written, effective],
  ): ResultCase => ({
    expression: `:n ${written} sk AND :p = pk`,
    placeholders: { values: { ":p": s("x"), ":n": n("5") } },
    schema: NUMBER_RANGE_TABLE,
    result: {
      partitionKeyValue: s("x"),
      sortKeyCondition: { operator: effective, values: [n("5")] },
    },
  })),
];

Deno.test("parseKeyCondition returns the partition key and sort key condition", () => {
  for (const testCase of RESULT_CASES) {
    const attributes = attributesOf(testCase.placeholders);
    const result = parseKeyCondition(
      testCase.expression,
      attributes,
      testCase.schema ?? RANGE_TABLE,
    );
    assert.deepEqual(result, testCase.result, testCase.expression);
    attributes.assertAllUsed();
  }
});
