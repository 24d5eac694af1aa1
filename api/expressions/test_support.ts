/**
 * Helpers shared by the expression tests: building request attributes and asserting DynamoDB
 * validation errors. Test code only.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AttributeValue } from "../attribute_value.ts";
import { DynamoDBError } from "../errors.ts";
import { ExpressionAttributes } from "./attributes.ts";

/** Placeholder maps of one test request. */
export interface Placeholders {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

/** Builds the {@linkcode ExpressionAttributes} of a test request. */
export function attributesOf(placeholders: Placeholders = {}): ExpressionAttributes {
  return new ExpressionAttributes(placeholders.names, placeholders.values);
}

/** Runs `action` and returns the ValidationException it throws; fails when it throws nothing. */
export function validationMessageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof DynamoDBError, `expected a DynamoDBError, got ${error}`);
    assert.equal(error.type, "ValidationException");
    assert.equal(error.namespace, "com.amazon.coral.validate");
    return error.message;
  }
  assert.fail("expected a ValidationException, but nothing was thrown");
}

/** Shorthand for a number value. */
export function n(text: string): AttributeValue {
  return { N: text };
}

/** Shorthand for a string value. */
export function s(text: string): AttributeValue {
  return { S: text };
}

/** Shorthand for a binary value given as bytes. */
export function b(...bytes: number[]): AttributeValue {
  return { B: new Uint8Array(bytes).toBase64() };
}
