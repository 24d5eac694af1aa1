/**
 * DynamoDB's legacy (pre-expression) parameters: conversion into the structures the expression
 * parameters produce, with DynamoDB's validation errors, and the check that a request does not
 * mix legacy and expression parameters.
 *
 * | Legacy parameter | Becomes | Function |
 * | --- | --- | --- |
 * | `Expected` + `ConditionalOperator` | {@linkcode Condition} | {@linkcode convertExpected} |
 * | `QueryFilter` / `ScanFilter` + `ConditionalOperator` | {@linkcode Condition} | {@linkcode convertFilter} |
 * | `KeyConditions` | {@linkcode KeyConditionResult} | {@linkcode convertKeyConditions} |
 * | `AttributesToGet` | {@linkcode DocumentPath}`[]` | {@linkcode convertAttributesToGet} |
 * | `AttributeUpdates` | {@linkcode UpdateExpression} | {@linkcode convertAttributeUpdates} |
 *
 * An operation handler calls {@linkcode checkExpressionParameters} first, then converts whichever
 * legacy parameters the request has. Messages follow dynalite, which was tested against DynamoDB.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import { constraintError, validationError } from "../errors.ts";
import type { UpdateAction, UpdateExpression } from "./ast.ts";
import type { DocumentPath } from "./document_path.ts";

export {
  convertExpected,
  convertFilter,
  convertKeyConditions,
  type ExpectedAttributeValue,
  type LegacyCondition,
} from "./legacy_conditions.ts";

/** One entry of `AttributeUpdates`. */
export interface AttributeValueUpdate {
  Action?: string;
  Value?: AttributeValue;
}

/** Operations whose requests accept both legacy and expression parameters. */
export type LegacyOperation =
  | "PutItem"
  | "DeleteItem"
  | "UpdateItem"
  | "GetItem"
  | "BatchGetItem"
  | "Query"
  | "Scan";

/** The expression and legacy parameters of each operation, in DynamoDB's message order. */
const PARAMETERS: Readonly<
  Record<LegacyOperation, { expression: readonly string[]; legacy: readonly string[] }>
> = {
  PutItem: { expression: ["ConditionExpression"], legacy: ["Expected"] },
  DeleteItem: { expression: ["ConditionExpression"], legacy: ["Expected"] },
  UpdateItem: {
    expression: ["UpdateExpression", "ConditionExpression"],
    legacy: ["AttributeUpdates", "Expected"],
  },
  GetItem: { expression: ["ProjectionExpression"], legacy: ["AttributesToGet"] },
  BatchGetItem: { expression: ["ProjectionExpression"], legacy: ["AttributesToGet"] },
  Query: {
    expression: ["ProjectionExpression", "FilterExpression", "KeyConditionExpression"],
    legacy: ["AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"],
  },
  Scan: {
    expression: ["ProjectionExpression", "FilterExpression"],
    legacy: ["AttributesToGet", "ScanFilter", "ConditionalOperator"],
  },
};

/**
 * Checks how a request combines legacy parameters, expression parameters and placeholder maps.
 * For BatchGetItem, pass one table's entry of `RequestItems`.
 *
 * @throws DynamoDBError ValidationException `Can not use both expression and non-expression
 * parameters in the same request: Non-expression parameters: {…} Expression parameters: {…}`, or
 * `ExpressionAttributeNames can only be specified when using expressions`, or
 * `ExpressionAttributeValues can only be specified when using expressions: <list> is null`.
 */
export function checkExpressionParameters(
  request: Readonly<Record<string, unknown>>,
  operation: LegacyOperation,
): void {
  const { expression, legacy } = PARAMETERS[operation];
  const present = (name: string) => request[name] !== undefined && request[name] !== null;
  const expressionsUsed = expression.filter(present);

  if (expressionsUsed.length > 0) {
    // KeyConditions may be combined with the other expressions when KeyConditionExpression is
    // absent.
    const keyConditionsAllowed = !present("KeyConditionExpression");
    const legacyUsed = legacy.filter((name) =>
      present(name) && !(name === "KeyConditions" && keyConditionsAllowed)
    );
    if (legacyUsed.length > 0) {
      throw validationError(
        "Can not use both expression and non-expression parameters in the same request: " +
          `Non-expression parameters: {${legacyUsed.join(", ")}} ` +
          `Expression parameters: {${expressionsUsed.join(", ")}}`,
      );
    }
  }

  if (present("ExpressionAttributeNames") && expressionsUsed.length === 0) {
    throw validationError("ExpressionAttributeNames can only be specified when using expressions");
  }
  // ProjectionExpression takes no values, so it does not allow ExpressionAttributeValues.
  const valueExpressions = expression.filter((name) => name !== "ProjectionExpression");
  if (
    present("ExpressionAttributeValues") && valueExpressions.length > 0 &&
    !valueExpressions.some(present)
  ) {
    const verb = valueExpressions.length > 1 ? "are" : "is";
    throw validationError(
      "ExpressionAttributeValues can only be specified when using expressions: " +
        `${valueExpressions.join(" and ")} ${verb} null`,
    );
  }
}

/**
 * Converts `AttributesToGet` into top-level document paths.
 *
 * @throws DynamoDBError ValidationException for an empty list, more than 255 names, or a name
 * given twice (`One or more parameter values were invalid: Duplicate value in attribute name:
 * a`).
 */
export function convertAttributesToGet(attributesToGet: readonly string[]): DocumentPath[] {
  if (attributesToGet.length < 1 || attributesToGet.length > 255) {
    const bound = attributesToGet.length < 1
      ? "greater than or equal to 1"
      : "less than or equal to 255";
    throw constraintError(
      `[${attributesToGet.join(", ")}]`,
      "attributesToGet",
      `Member must have length ${bound}`,
    );
  }
  const seen = new Set<string>();
  for (const name of attributesToGet) {
    if (seen.has(name)) {
      throw validationError(
        `One or more parameter values were invalid: Duplicate value in attribute name: ${name}`,
      );
    }
    seen.add(name);
  }
  return attributesToGet.map((name) => [name]);
}

const UPDATE_ACTIONS = ["ADD", "PUT", "DELETE"];
const ADD_TYPES = ["L", "SS", "NS", "BS", "N"];
const DELETE_TYPES = ["SS", "NS", "BS"];

/**
 * Converts `AttributeUpdates` into an update. PUT (the default) sets the attribute; DELETE
 * without a value removes it and with a set removes those elements; ADD adds to a number, or
 * appends to a set or list. Key attributes are rejected when the update is applied.
 *
 * @throws DynamoDBError ValidationException, for example `One or more parameter values were
 * invalid: ADD action is not supported for the type S`.
 */
export function convertAttributeUpdates(
  attributeUpdates: Readonly<Record<string, AttributeValueUpdate>>,
): UpdateExpression {
  const actions: UpdateAction[] = [];
  for (const [name, update] of Object.entries(attributeUpdates)) {
    const action = update.Action ?? "PUT";
    if (!UPDATE_ACTIONS.includes(action)) {
      throw constraintError(
        action,
        `attributeUpdates.${name}.member.action`,
        "Member must satisfy enum value set: [ADD, PUT, DELETE]",
      );
    }
    const value = update.Value;
    if (value === undefined) {
      if (action !== "DELETE") {
        throw validationError(
          "One or more parameter values were invalid: Only DELETE action is allowed when no " +
            "attribute value is specified",
        );
      }
      actions.push({ kind: "remove", path: [name] });
      continue;
    }
    actions.push(valueAction(name, action, value));
  }
  return { actions };
}

function valueAction(name: string, action: string, value: AttributeValue): UpdateAction {
  const type = typeOf(value);
  if (action === "DELETE") {
    if (!DELETE_TYPES.includes(type)) {
      throw validationError(
        "One or more parameter values were invalid: DELETE action with value is not supported " +
          `for the type ${type}`,
      );
    }
    return { kind: "delete", path: [name], value, legacy: true };
  }
  if (action === "ADD") {
    if (!ADD_TYPES.includes(type)) {
      throw validationError(
        `One or more parameter values were invalid: ADD action is not supported for the type ${type}`,
      );
    }
    return { kind: "add", path: [name], value, legacy: true };
  }
  return {
    kind: "set",
    path: [name],
    value: { kind: "operand", operand: { kind: "value", value } },
  };
}
