/**
 * DynamoDB's expression language: parsing and checking ConditionExpression, FilterExpression,
 * KeyConditionExpression, ProjectionExpression and UpdateExpression, evaluating conditions,
 * projecting items and applying updates, plus the conversion of the legacy parameters
 * (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`, `AttributesToGet`,
 * `AttributeUpdates`) into the same structures.
 *
 * An operation handler checks the placeholder keys ({@linkcode checkPlaceholderKeys}) before it
 * validates the values of ExpressionAttributeValues, then creates one
 * {@linkcode ExpressionAttributes} per request, parses each of the request's expressions with it
 * in DynamoDB's order (UpdateItem: UpdateExpression, ConditionExpression; Query and Scan:
 * FilterExpression, ProjectionExpression, KeyConditionExpression), then calls
 * {@linkcode ExpressionAttributes.assertAllUsed}. Every error is a `DynamoDBError` with DynamoDB's
 * type and message. Everything here is synchronous and deterministic.
 *
 * @example
 * ```ts
 * import {
 *   applyUpdate,
 *   evaluateCondition,
 *   ExpressionAttributes,
 *   parseCondition,
 *   parseUpdate,
 * } from "./mod.ts";
 *
 * const attributes = new ExpressionAttributes({ "#c": "count" }, { ":one": { N: "1" } });
 * const update = parseUpdate("ADD #c :one", attributes);
 * const condition = parseCondition("attribute_exists(pk)", "ConditionExpression", attributes);
 * attributes.assertAllUsed();
 *
 * const item = { pk: { S: "user#1" }, count: { N: "41" } };
 * if (evaluateCondition(condition, item)) {
 *   const { item: updated } = applyUpdate(item, update, ["pk"]);
 *   console.log(updated.count); // { N: "42" }
 * }
 * ```
 *
 * @module
 */

export type {
  ComparisonOperator,
  Condition,
  Operand,
  SetValue,
  UpdateAction,
  UpdateExpression,
  UpdateOperand,
} from "./ast.ts";
export { checkPlaceholderKeys, ExpressionAttributes } from "./attributes.ts";
export { parseCondition } from "./condition_parser.ts";
export type { DocumentPath, PathElement } from "./document_path.ts";
export { evaluateCondition } from "./evaluate.ts";
export type { ExpressionKind } from "./expression_error.ts";
export {
  type KeyAttribute,
  type KeyConditionResult,
  type KeySchema,
  parseKeyCondition,
} from "./key_condition.ts";
export { parseProjection, projectItem, selectPaths } from "./projection.ts";
export {
  type AppliedUpdate,
  applyUpdate,
  type ApplyUpdateOptions,
  updateCreatesItem,
} from "./update_apply.ts";
export { assertKeyAttributesUnchanged, parseUpdate } from "./update_parser.ts";
export {
  assertFilterAvoidsKeyAttributes,
  assertKeyAttributesScalar,
  conditionPaths,
} from "./key_attribute_checks.ts";
export {
  type AttributeValueUpdate,
  checkExpressionParameters,
  convertAttributesToGet,
  convertAttributeUpdates,
  convertExpected,
  convertFilter,
  convertKeyConditions,
  type ExpectedAttributeValue,
  type LegacyCondition,
  type LegacyOperation,
} from "./legacy.ts";
