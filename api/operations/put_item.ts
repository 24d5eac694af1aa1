/**
 * PutItem: validate, evaluate the condition against the current item under the key lock, write.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import { conditionalCheckFailed, validationError } from "../errors.ts";
import { type Condition, evaluateCondition, parseCondition } from "../expressions/mod.ts";
import {
  checkExpressionParameters,
  convertExpected,
  type ExpectedAttributeValue,
} from "../expressions/legacy.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { validateItem, validateItemKeyAttributes } from "../validation.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  EXPRESSION_VALUES_SHAPE,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  RETURN_ITEM_COLLECTION_METRICS_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import {
  checkIndexKeyAttributes,
  checkItemSize,
  expressionAttributes,
  itemCollectionMetrics,
  renderConsumedCapacity,
  validateLegacyValues,
  wantsOldItemOnFailure,
  writeUsage,
} from "./item_common.ts";
import { requireTable } from "./table_description.ts";

/** `ReturnValuesOnConditionCheckFailure`. */
export const RETURN_ON_FAILURE_SHAPE = {
  type: "String",
  constraints: { enumValues: ["ALL_OLD", "NONE"] },
} as const;

/** `Expected` (legacy conditions). */
export const EXPECTED_SHAPE = { type: "Map", value: { type: "Object" } } as const;

/** `ConditionalOperator` (legacy). */
export const CONDITIONAL_OPERATOR_SHAPE = {
  type: "String",
  constraints: { enumValues: ["AND", "OR"] },
} as const;

/** Members shared by PutItem, UpdateItem and DeleteItem. */
export const CONDITIONAL_WRITE_MEMBERS: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  ConditionExpression: { type: "String" },
  ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
  ExpressionAttributeValues: EXPRESSION_VALUES_SHAPE,
  Expected: EXPECTED_SHAPE,
  ConditionalOperator: CONDITIONAL_OPERATOR_SHAPE,
  ReturnValues: {
    type: "String",
    constraints: {
      enumValues: ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    },
  },
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
  ReturnItemCollectionMetrics: RETURN_ITEM_COLLECTION_METRICS_SHAPE,
  ReturnValuesOnConditionCheckFailure: RETURN_ON_FAILURE_SHAPE,
};

const MODEL: OperationModel = {
  ...CONDITIONAL_WRITE_MEMBERS,
  Item: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } },
};

/** Handles PutItem. */
export async function putItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  const returnValues = allOldOrNone(input.ReturnValues);
  const condition = parseWriteCondition(input, "PutItem");
  const table = requireTable(context, input.TableName as string);
  const item = validateItem(input.Item, { style: "current", envelope: true });
  validateItemKeyAttributes(item, table.keySchema);
  checkIndexKeyAttributes(table, item);
  const itemSize = checkItemSize(item, "Item size has exceeded the maximum allowed size");

  const failureReturnsItem = wantsOldItemOnFailure(input);
  // A plain put needs the previous item only for ReturnValues and consumed capacity.
  const ignoresCurrent = condition === undefined && returnValues === "NONE" &&
    (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === "NONE");
  const previous = await context.items.write(table, item, (current) => {
    if (condition !== undefined && !evaluateCondition(condition, current)) {
      throw conditionalCheckFailed(failureReturnsItem ? current : undefined);
    }
    return { item, result: current, itemSizeBytes: itemSize };
  }, { ignoresCurrent });

  const output: Record<string, unknown> = {};
  if (returnValues === "ALL_OLD" && previous !== undefined) output.Attributes = previous;
  const capacity = renderConsumedCapacity(
    table.name,
    () => writeUsage(table, previous, item),
    input.ReturnConsumedCapacity,
  );
  if (capacity) output.ConsumedCapacity = capacity;
  const metrics = itemCollectionMetrics(table, item, input);
  if (metrics) output.ItemCollectionMetrics = metrics;
  return output;
}

/** Checks `ReturnValues` of PutItem and DeleteItem, which allow only NONE and ALL_OLD. */
export function allOldOrNone(returnValues: unknown): "NONE" | "ALL_OLD" {
  if (returnValues === undefined || returnValues === "NONE") return "NONE";
  if (returnValues === "ALL_OLD") return "ALL_OLD";
  throw validationError("ReturnValues can only be ALL_OLD or NONE");
}

/**
 * Parses the write condition of PutItem, UpdateItem or DeleteItem from `ConditionExpression` or
 * the legacy `Expected`, after `otherExpressions` (UpdateItem's update), and checks that every
 * placeholder was used.
 */
export function parseWriteCondition(
  input: Record<string, unknown>,
  operation: "PutItem" | "UpdateItem" | "DeleteItem",
  otherExpressions: (attributes: ReturnType<typeof expressionAttributes>) => void = () => {},
): Condition | undefined {
  checkExpressionParameters(input, operation);
  const attributes = expressionAttributes(input);
  // DynamoDB parses UpdateExpression before ConditionExpression, so its errors come first.
  otherExpressions(attributes);
  let condition: Condition | undefined;
  if (typeof input.ConditionExpression === "string") {
    condition = parseCondition(input.ConditionExpression, "ConditionExpression", attributes);
  } else if (input.Expected !== undefined) {
    condition = convertExpected(
      validateLegacyValues(input.Expected) as Record<string, ExpectedAttributeValue>,
      input.ConditionalOperator as string | undefined,
    );
  }
  attributes.assertAllUsed();
  return condition;
}

export type { Item };
