/**
 * Tests for the request shape checker: DynamoDB's serialization messages for wrong JSON types and
 * its collected constraint messages, checked against exact strings.
 */

import assert from "node:assert/strict";
import { DynamoDBError } from "./errors.ts";
import { checkRequestShape, type OperationModel } from "./request_shape.ts";

const MODEL: OperationModel = {
  TableName: {
    type: "String",
    constraints: { notNull: true, tableName: true, pattern: "[a-zA-Z0-9_.-]+" },
  },
  Limit: { type: "Integer", constraints: { minValue: 1, maxValue: 100 } },
  ConsistentRead: { type: "Boolean" },
  Select: { type: "String", constraints: { enumValues: ["ALL", "COUNT"] } },
  Keys: { type: "List", member: { type: "Object" } },
};

function errorOf(body: Record<string, unknown>): DynamoDBError {
  try {
    checkRequestShape(body, MODEL);
  } catch (error) {
    assert.ok(error instanceof DynamoDBError);
    return error;
  }
  assert.fail("expected an error");
}

Deno.test("checkRequestShape reports JSON type errors as SerializationException", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ TableName: 5 }, "class java.lang.Short can not be converted to an String"],
    [{ TableName: 70000 }, "class java.lang.Integer can not be converted to an String"],
    [{ TableName: 1.5 }, "class java.lang.Double can not be converted to an String"],
    [{ TableName: true }, "class java.lang.Boolean can not be converted to an String"],
    [{ TableName: {} }, "Start of structure or map found where not expected."],
    [{ TableName: [] }, "Start of list found where not expected"],
    [{ Limit: "5" }, "class java.lang.String can not be converted to an Integer"],
    [{ ConsistentRead: "yes" }, "'YES' can not be converted to an Boolean"],
    [{ Keys: "x" }, "Expected list or null"],
    [{ Keys: [5] }, "Expected null"],
  ];
  for (const [body, message] of cases) {
    const error = errorOf({ TableName: "table", ...body });
    assert.equal(error.type, "SerializationException", JSON.stringify(body));
    assert.equal(error.message, message, JSON.stringify(body));
    assert.equal(error.toBody().Message, message);
  }
});

Deno.test("checkRequestShape collects constraint failures", () => {
  const error = errorOf({ TableName: "bad name!", Limit: 0, Select: "NONE" });
  assert.equal(error.type, "ValidationException");
  assert.equal(
    error.message,
    "3 validation errors detected: " +
      "Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
      "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
      "Value 'NONE' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [ALL, COUNT]",
  );
});

Deno.test("checkRequestShape requires notNull members", () => {
  const error = errorOf({});
  assert.equal(
    error.message,
    "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
  );
});

Deno.test("checkRequestShape checks table name length first", () => {
  const error = errorOf({ TableName: "ab", Limit: 0 });
  assert.equal(
    error.message,
    "TableName must be at least 3 characters long and at most 255 characters long",
  );
});

Deno.test("checkRequestShape drops nulls and unknown members", () => {
  const result = checkRequestShape({ TableName: "table", Limit: null, Unknown: 1 }, MODEL);
  assert.deepEqual(result, { TableName: "table" });
});
