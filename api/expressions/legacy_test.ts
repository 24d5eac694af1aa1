/**
 * Tests of the legacy parameters: validation with DynamoDB's messages (as recorded by dynalite's
 * and ScyllaDB's test suites), and evaluation of the converted conditions and updates with
 * DynamoDB's legacy semantics.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Item } from "../attribute_value.ts";
import { evaluateCondition } from "./evaluate.ts";
import type { KeySchema } from "./key_condition.ts";
import {
  type AttributeValueUpdate,
  checkExpressionParameters,
  convertAttributesToGet,
  convertAttributeUpdates,
  convertExpected,
  convertFilter,
  convertKeyConditions,
  type ExpectedAttributeValue,
  type LegacyCondition,
} from "./legacy.ts";
import { applyUpdate } from "./update_apply.ts";
import { b, n, s, validationMessageOf } from "./test_support.ts";

const INVALID = "One or more parameter values were invalid: ";

const ITEM: Item = {
  p: s("key"),
  a: n("1"),
  word: s("hello"),
  bytes: b(1, 2, 3),
  tags: { SS: ["x", "y"] },
  nums: { NS: ["2", "4", "7"] },
  list: { L: [n("2"), n("4")] },
};

interface ExpectedCase {
  expected: Record<string, ExpectedAttributeValue>;
  conditionalOperator?: string;
  holds: boolean;
}

const EXPECTED_CASES: ExpectedCase[] = [
  { expected: { a: { Value: n("1") } }, holds: true },
  { expected: { a: { Value: n("1.0"), Exists: true } }, holds: true },
  { expected: { a: { Value: n("2") } }, holds: false },
  { expected: { z: { Value: n("1") } }, holds: false },
  { expected: { z: { Exists: false } }, holds: true },
  { expected: { a: { Exists: false } }, holds: false },
  { expected: { a: { ComparisonOperator: "EQ", AttributeValueList: [n("1")] } }, holds: true },
  { expected: { a: { ComparisonOperator: "EQ", Value: n("1") } }, holds: true },
  { expected: { a: { ComparisonOperator: "EQ", AttributeValueList: [s("1")] } }, holds: false },
  { expected: { a: { ComparisonOperator: "NE", AttributeValueList: [n("2")] } }, holds: true },
  { expected: { a: { ComparisonOperator: "NE", AttributeValueList: [s("1")] } }, holds: true },
  { expected: { z: { ComparisonOperator: "NE", AttributeValueList: [n("1")] } }, holds: true },
  { expected: { a: { ComparisonOperator: "LE", AttributeValueList: [n("1")] } }, holds: true },
  { expected: { a: { ComparisonOperator: "LT", AttributeValueList: [n("1")] } }, holds: false },
  { expected: { a: { ComparisonOperator: "GE", AttributeValueList: [n("0")] } }, holds: true },
  { expected: { a: { ComparisonOperator: "GT", AttributeValueList: [s("0")] } }, holds: false },
  { expected: { a: { ComparisonOperator: "NOT_NULL" } }, holds: true },
  { expected: { z: { ComparisonOperator: "NULL" } }, holds: true },
  {
    expected: { word: { ComparisonOperator: "CONTAINS", AttributeValueList: [s("ell")] } },
    holds: true,
  },
  {
    expected: { nums: { ComparisonOperator: "CONTAINS", AttributeValueList: [n("4")] } },
    holds: true,
  },
  {
    expected: { list: { ComparisonOperator: "CONTAINS", AttributeValueList: [n("4")] } },
    holds: true,
  },
  {
    expected: { bytes: { ComparisonOperator: "CONTAINS", AttributeValueList: [b(2, 3)] } },
    holds: true,
  },
  {
    expected: { word: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [s("dog")] } },
    holds: true,
  },
  {
    expected: { word: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [s("ell")] } },
    holds: false,
  },
  {
    expected: { nums: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [n("1")] } },
    holds: true,
  },
  // NOT_CONTAINS is false for a missing attribute, unlike NE.
  {
    expected: { z: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [n("1")] } },
    holds: false,
  },
  {
    expected: { word: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [s("hell")] } },
    holds: true,
  },
  {
    expected: { a: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [s("1")] } },
    holds: false,
  },
  {
    expected: { a: { ComparisonOperator: "IN", AttributeValueList: [n("3"), n("1")] } },
    holds: true,
  },
  // IN checks the attribute against the list; it is not a set membership test.
  { expected: { nums: { ComparisonOperator: "IN", AttributeValueList: [n("2")] } }, holds: false },
  {
    expected: { a: { ComparisonOperator: "BETWEEN", AttributeValueList: [n("1"), n("2")] } },
    holds: true,
  },
  {
    expected: { z: { ComparisonOperator: "BETWEEN", AttributeValueList: [n("0"), n("9")] } },
    holds: false,
  },
  {
    expected: { a: { Value: n("1") }, word: { Value: s("hello") }, z: { Exists: false } },
    holds: true,
  },
  {
    expected: { a: { Value: n("1") }, word: { Value: s("bye") } },
    conditionalOperator: "AND",
    holds: false,
  },
  {
    expected: { a: { Value: n("74") }, word: { Value: s("hello") } },
    conditionalOperator: "OR",
    holds: true,
  },
  {
    expected: { a: { Value: n("74") }, word: { Value: s("bye") } },
    conditionalOperator: "OR",
    holds: false,
  },
];

Deno.test("convertExpected evaluates with legacy semantics", () => {
  for (const testCase of EXPECTED_CASES) {
    const condition = convertExpected(testCase.expected, testCase.conditionalOperator);
    assert.ok(condition !== undefined);
    assert.equal(
      evaluateCondition(condition, ITEM),
      testCase.holds,
      JSON.stringify(testCase.expected),
    );
  }
  assert.equal(convertExpected({}, undefined), undefined);
  assert.equal(convertExpected(undefined, undefined), undefined);
});

interface ExpectedErrorCase {
  expected?: Record<string, ExpectedAttributeValue>;
  conditionalOperator?: string;
  message: string;
}

const EXPECTED_ERRORS: ExpectedErrorCase[] = [
  {
    expected: { a: { Exists: true } },
    message: `${INVALID}Value must be provided when Exists is true for Attribute: a`,
  },
  {
    expected: { a: {} },
    message: `${INVALID}Value must be provided when Exists is null for Attribute: a`,
  },
  {
    expected: { a: { Exists: false, Value: n("1") } },
    message: `${INVALID}Value cannot be used when Exists is false for Attribute: a`,
  },
  {
    expected: { a: { Exists: false, ComparisonOperator: "EQ", AttributeValueList: [n("3")] } },
    message: `${INVALID}Exists and ComparisonOperator cannot be used together for Attribute: a`,
  },
  {
    expected: { a: { Value: n("3"), ComparisonOperator: "EQ", AttributeValueList: [n("3")] } },
    message: `${INVALID}Value and AttributeValueList cannot be used together for Attribute: a`,
  },
  {
    expected: { a: { AttributeValueList: [n("1")] } },
    message:
      `${INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: a`,
  },
  {
    expected: { a: { ComparisonOperator: "EQ" } },
    message: `${INVALID}Value or AttributeValueList must be used with ComparisonOperator: EQ for ` +
      "Attribute: a",
  },
  {
    // Exists with ComparisonOperator is checked before Value with AttributeValueList.
    expected: {
      a: { Exists: true, ComparisonOperator: "EQ", Value: n("3"), AttributeValueList: [n("3")] },
    },
    message: `${INVALID}Exists and ComparisonOperator cannot be used together for Attribute: a`,
  },
  {
    // AttributeValueList without an operator is checked before Value with Exists false.
    expected: { a: { Exists: false, AttributeValueList: [n("3")] } },
    message:
      `${INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: a`,
  },
  {
    expected: { a: { ComparisonOperator: "EQ", AttributeValueList: [n("2"), n("3")] } },
    message: `${INVALID}Invalid number of argument(s) for the EQ ComparisonOperator`,
  },
  {
    expected: { a: { ComparisonOperator: "NOT_NULL", AttributeValueList: [n("2")] } },
    message: `${INVALID}Invalid number of argument(s) for the NOT_NULL ComparisonOperator`,
  },
  {
    expected: { a: { ComparisonOperator: "IN", AttributeValueList: [] } },
    message: `${INVALID}Invalid number of argument(s) for the IN ComparisonOperator`,
  },
  {
    expected: { a: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [{ L: [n("1")] }] } },
    message: `${INVALID}ComparisonOperator NOT_CONTAINS is not valid for L AttributeValue type`,
  },
  {
    expected: { a: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [n("3")] } },
    message: `${INVALID}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type`,
  },
  {
    expected: { a: { ComparisonOperator: "IN", AttributeValueList: [n("3"), s("dog")] } },
    message: `${INVALID}AttributeValues inside AttributeValueList must be of same type`,
  },
  {
    expected: { a: { ComparisonOperator: "BETWEEN", AttributeValueList: [n("4"), n("3")] } },
    message: "The BETWEEN condition was provided a range where the lower bound is greater than " +
      "the upper bound",
  },
  {
    expected: {
      a: { ComparisonOperator: "BETWEEN", AttributeValueList: [{ NS: ["1"] }, { NS: ["2"] }] },
    },
    message: `${INVALID}ComparisonOperator BETWEEN is not valid for NS AttributeValue type`,
  },
  {
    expected: { a: { ComparisonOperator: "LIKE", AttributeValueList: [n("4")] } },
    message:
      "1 validation error detected: Value 'LIKE' at 'expected.a.member.comparisonOperator' " +
      "failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, " +
      "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
  },
  {
    expected: {},
    conditionalOperator: "OR",
    message:
      "ConditionalOperator can only be used when Filter or Expected has two or more elements",
  },
  {
    conditionalOperator: "AND",
    message: "ConditionalOperator cannot be used without Filter or Expected",
  },
  {
    expected: { a: { Value: n("1") }, b: { Value: n("1") } },
    conditionalOperator: "XOR",
    message:
      "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy " +
      "constraint: Member must satisfy enum value set: [OR, AND]",
  },
];

Deno.test("convertExpected reports DynamoDB's errors", () => {
  for (const testCase of EXPECTED_ERRORS) {
    const message = validationMessageOf(() =>
      convertExpected(testCase.expected, testCase.conditionalOperator)
    );
    assert.equal(message, testCase.message, JSON.stringify(testCase.expected));
  }
});

Deno.test("convertFilter converts QueryFilter and ScanFilter", () => {
  const filter: Record<string, LegacyCondition> = {
    a: { ComparisonOperator: "GT", AttributeValueList: [n("0")] },
    word: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [s("x")] },
  };
  const all = convertFilter(filter, undefined, "ScanFilter");
  const any = convertFilter(filter, "OR", "QueryFilter");
  assert.ok(all !== undefined && any !== undefined);
  assert.equal(evaluateCondition(all, ITEM), false);
  assert.equal(evaluateCondition(any, ITEM), true);
  assert.equal(
    validationMessageOf(() => convertFilter({ a: {} }, undefined, "QueryFilter")),
    "1 validation error detected: Value null at 'queryFilter.a.member.comparisonOperator' failed " +
      "to satisfy constraint: Member must not be null",
  );
  assert.equal(
    validationMessageOf(() =>
      convertFilter(
        { a: { ComparisonOperator: "LT", AttributeValueList: [{ BOOL: true }] } },
        undefined,
        "ScanFilter",
      )
    ),
    `${INVALID}ComparisonOperator LT is not valid for BOOL AttributeValue type`,
  );
  assert.equal(
    validationMessageOf(() =>
      convertFilter(
        { a: { ComparisonOperator: "NULL", AttributeValueList: [s("a")] } },
        undefined,
        "ScanFilter",
      )
    ),
    `${INVALID}Invalid number of argument(s) for the NULL ComparisonOperator`,
  );
});

const HASH_TABLE: KeySchema = { partitionKey: { name: "a", type: "S" } };
const RANGE_TABLE: KeySchema = {
  partitionKey: { name: "a", type: "S" },
  sortKey: { name: "b", type: "S" },
};

Deno.test("convertKeyConditions returns the key conditions", () => {
  assert.deepEqual(
    convertKeyConditions(
      { a: { ComparisonOperator: "EQ", AttributeValueList: [s("x")] } },
      HASH_TABLE,
    ),
    { partitionKeyValue: s("x") },
  );
  assert.deepEqual(
    convertKeyConditions({
      b: { ComparisonOperator: "BETWEEN", AttributeValueList: [s("a"), s("c")] },
      a: { ComparisonOperator: "EQ", AttributeValueList: [s("x")] },
    }, RANGE_TABLE),
    {
      partitionKeyValue: s("x"),
      sortKeyCondition: { operator: "BETWEEN", values: [s("a"), s("c")] },
    },
  );
  assert.deepEqual(
    convertKeyConditions({
      a: { ComparisonOperator: "EQ", AttributeValueList: [s("x")] },
      b: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [s("ORDER#")] },
    }, RANGE_TABLE).sortKeyCondition,
    { operator: "begins_with", values: [s("ORDER#")] },
  );
});

interface KeyErrorCase {
  keyConditions: Record<string, LegacyCondition>;
  schema: KeySchema;
  message: string;
}

const KEY_ERRORS: KeyErrorCase[] = [
  { keyConditions: {}, schema: HASH_TABLE, message: "Conditions can be of length 1 or 2 only" },
  {
    keyConditions: {
      a: { ComparisonOperator: "NULL" },
      b: { ComparisonOperator: "NULL" },
      c: { ComparisonOperator: "NULL" },
    },
    schema: RANGE_TABLE,
    message: "Conditions can be of length 1 or 2 only",
  },
  {
    keyConditions: { a: { ComparisonOperator: "EQ" } },
    schema: HASH_TABLE,
    message: `${INVALID}Invalid number of argument(s) for the EQ ComparisonOperator`,
  },
  ...["NULL", "NOT_NULL"].map((operator) => ({
    keyConditions: { a: { ComparisonOperator: operator } },
    schema: HASH_TABLE,
    message: "Attempted conditional constraint is not an indexable operation",
  })),
  ...["NE", "CONTAINS", "NOT_CONTAINS", "IN"].map((operator) => ({
    keyConditions: { a: { ComparisonOperator: operator, AttributeValueList: [s("a")] } },
    schema: HASH_TABLE,
    message: "Attempted conditional constraint is not an indexable operation",
  })),
  {
    keyConditions: {
      a: { ComparisonOperator: "EQ", AttributeValueList: [s("b")] },
      b: { ComparisonOperator: "CONTAINS", AttributeValueList: [s("a")] },
    },
    schema: RANGE_TABLE,
    message: "Attempted conditional constraint is not an indexable operation",
  },
  ...["LE", "LT", "GE", "GT", "BEGINS_WITH"].map((operator) => ({
    keyConditions: { a: { ComparisonOperator: operator, AttributeValueList: [s("a")] } },
    schema: HASH_TABLE,
    message: "Query key condition not supported",
  })),
  {
    keyConditions: {
      a: { ComparisonOperator: "EQ", AttributeValueList: [s("a")] },
      b: { ComparisonOperator: "EQ", AttributeValueList: [s("a")] },
    },
    schema: HASH_TABLE,
    message: "Query key condition not supported",
  },
  {
    keyConditions: { z: { ComparisonOperator: "EQ", AttributeValueList: [s("a")] } },
    schema: RANGE_TABLE,
    message: "Query condition missed key schema element: a",
  },
  {
    keyConditions: {
      a: { ComparisonOperator: "EQ", AttributeValueList: [s("b")] },
      c: { ComparisonOperator: "NULL" },
    },
    schema: RANGE_TABLE,
    message: "Query condition missed key schema element: b",
  },
  {
    keyConditions: { a: { ComparisonOperator: "EQ", AttributeValueList: [n("1")] } },
    schema: HASH_TABLE,
    message: `${INVALID}Condition parameter type does not match schema type`,
  },
  {
    keyConditions: { a: { ComparisonOperator: "IN", AttributeValueList: [s("b"), n("1")] } },
    schema: HASH_TABLE,
    message: `${INVALID}AttributeValues inside AttributeValueList must be of same type`,
  },
  {
    keyConditions: { a: { ComparisonOperator: "BETWEEN", AttributeValueList: [s("b"), s("a")] } },
    schema: HASH_TABLE,
    message: "The BETWEEN condition was provided a range where the lower bound is greater than " +
      "the upper bound",
  },
  {
    keyConditions: { a: { ComparisonOperator: "GT", AttributeValueList: [{ M: {} }] } },
    schema: HASH_TABLE,
    message: `${INVALID}ComparisonOperator GT is not valid for M AttributeValue type`,
  },
];

Deno.test("convertKeyConditions reports DynamoDB's errors", () => {
  for (const testCase of KEY_ERRORS) {
    const message = validationMessageOf(() =>
      convertKeyConditions(testCase.keyConditions, testCase.schema)
    );
    assert.equal(message, testCase.message, JSON.stringify(testCase.keyConditions));
  }
});

Deno.test("convertAttributesToGet makes top-level paths", () => {
  assert.deepEqual(convertAttributesToGet(["a", "b.c"]), [["a"], ["b.c"]]);
  assert.equal(
    validationMessageOf(() => convertAttributesToGet(["a", "a"])),
    `${INVALID}Duplicate value in attribute name: a`,
  );
  assert.equal(
    validationMessageOf(() => convertAttributesToGet([])),
    "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: " +
      "Member must have length greater than or equal to 1",
  );
});

function applyLegacy(item: Item, updates: Record<string, AttributeValueUpdate>): Item {
  return applyUpdate(item, convertAttributeUpdates(updates), ["p"]).item;
}

Deno.test("convertAttributeUpdates applies PUT, ADD and DELETE", () => {
  const updated = applyLegacy(ITEM, {
    a: { Action: "ADD", Value: n("2") },
    word: { Value: s("bye") },
    tags: { Action: "DELETE", Value: { SS: ["x", "q"] } },
    nums: { Action: "ADD", Value: { NS: ["7", "8"] } },
    list: { Action: "ADD", Value: { L: [s("more")] } },
    bytes: { Action: "DELETE" },
    fresh: { Action: "ADD", Value: { L: [n("1")] } },
    counter: { Action: "ADD", Value: n("5") },
  });
  assert.deepEqual(updated, {
    p: s("key"),
    a: n("3"),
    word: s("bye"),
    tags: { SS: ["y"] },
    nums: { NS: ["2", "4", "7", "8"] },
    list: { L: [n("2"), n("4"), s("more")] },
    fresh: { L: [n("1")] },
    counter: n("5"),
  });
  assert.deepEqual(applyLegacy(ITEM, {}), ITEM);
});

Deno.test("convertAttributeUpdates reports DynamoDB's errors", () => {
  const cases: [Record<string, AttributeValueUpdate>, string][] = [
    [
      { a: { Action: "PUT" } },
      `${INVALID}Only DELETE action is allowed when no attribute value is specified`,
    ],
    [{ a: {} }, `${INVALID}Only DELETE action is allowed when no attribute value is specified`],
    [
      { a: { Action: "DELETE", Value: s("x") } },
      `${INVALID}DELETE action with value is not supported for the type S`,
    ],
    [
      { a: { Action: "ADD", Value: s("x") } },
      `${INVALID}ADD action is not supported for the type S`,
    ],
    [
      { a: { Action: "ADD", Value: { M: {} } } },
      `${INVALID}ADD action is not supported for the type M`,
    ],
    [
      { a: { Action: "REPLACE", Value: s("x") } },
      "1 validation error detected: Value 'REPLACE' at 'attributeUpdates.a.member.action' failed " +
      "to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]",
    ],
  ];
  for (const [updates, expected] of cases) {
    assert.equal(validationMessageOf(() => convertAttributeUpdates(updates)), expected);
  }
});

Deno.test("legacy updates report type mismatches and key attributes", () => {
  const mismatch = "Type mismatch for attribute to update";
  assert.equal(
    validationMessageOf(() => applyLegacy(ITEM, { word: { Action: "ADD", Value: n("1") } })),
    mismatch,
  );
  assert.equal(
    validationMessageOf(() => applyLegacy(ITEM, { tags: { Action: "ADD", Value: { NS: ["1"] } } })),
    mismatch,
  );
  assert.equal(
    validationMessageOf(() =>
      applyLegacy(ITEM, { nums: { Action: "DELETE", Value: { SS: ["1"] } } })
    ),
    mismatch,
  );
  assert.equal(
    validationMessageOf(() => applyLegacy(ITEM, { a: { Action: "ADD", Value: { L: [] } } })),
    mismatch,
  );
  assert.equal(
    validationMessageOf(() => applyLegacy(ITEM, { p: { Value: s("other") } })),
    `${INVALID}Cannot update attribute p. This attribute is part of the key`,
  );
});

interface ParameterCase {
  operation: Parameters<typeof checkExpressionParameters>[1];
  request: Record<string, unknown>;
  message?: string;
}

const PARAMETER_CASES: ParameterCase[] = [
  {
    operation: "UpdateItem",
    request: { AttributeUpdates: {}, ConditionExpression: "a = :v" },
    message: "Can not use both expression and non-expression parameters in the same request: " +
      "Non-expression parameters: {AttributeUpdates} Expression parameters: {ConditionExpression}",
  },
  {
    operation: "UpdateItem",
    request: { UpdateExpression: "SET a = :v", Expected: {}, AttributeUpdates: {} },
    message: "Can not use both expression and non-expression parameters in the same request: " +
      "Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: " +
      "{UpdateExpression}",
  },
  {
    operation: "Query",
    request: { QueryFilter: {}, KeyConditionExpression: "a = :v", ProjectionExpression: "a" },
    message: "Can not use both expression and non-expression parameters in the same request: " +
      "Non-expression parameters: {QueryFilter} Expression parameters: {ProjectionExpression, " +
      "KeyConditionExpression}",
  },
  {
    operation: "Query",
    request: { KeyConditions: {}, KeyConditionExpression: "a = :v" },
    message: "Can not use both expression and non-expression parameters in the same request: " +
      "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
  },
  { operation: "Query", request: { KeyConditions: {}, FilterExpression: "a = :v" } },
  {
    operation: "Scan",
    request: { ConditionalOperator: "OR", FilterExpression: "a = :v" },
    message: "Can not use both expression and non-expression parameters in the same request: " +
      "Non-expression parameters: {ConditionalOperator} Expression parameters: {FilterExpression}",
  },
  {
    operation: "PutItem",
    request: { ExpressionAttributeNames: { "#a": "a" } },
    message: "ExpressionAttributeNames can only be specified when using expressions",
  },
  {
    operation: "PutItem",
    request: { ExpressionAttributeValues: { ":a": n("1") } },
    message: "ExpressionAttributeValues can only be specified when using expressions: " +
      "ConditionExpression is null",
  },
  {
    operation: "UpdateItem",
    request: { ExpressionAttributeValues: { ":a": n("1") }, AttributeUpdates: {} },
    message: "ExpressionAttributeValues can only be specified when using expressions: " +
      "UpdateExpression and ConditionExpression are null",
  },
  {
    operation: "Query",
    request: { ExpressionAttributeValues: { ":a": n("1") }, ProjectionExpression: "a" },
    message: "ExpressionAttributeValues can only be specified when using expressions: " +
      "FilterExpression and KeyConditionExpression are null",
  },
  {
    operation: "GetItem",
    request: { ExpressionAttributeValues: { ":a": n("1") }, ProjectionExpression: "a" },
  },
  { operation: "DeleteItem", request: { Expected: {}, ExpressionAttributeNames: null } },
];

Deno.test("checkExpressionParameters rejects mixed parameters", () => {
  for (const testCase of PARAMETER_CASES) {
    const check = () => checkExpressionParameters(testCase.request, testCase.operation);
    if (testCase.message === undefined) {
      check();
    } else {
      assert.equal(validationMessageOf(check), testCase.message, JSON.stringify(testCase.request));
    }
  }
});
