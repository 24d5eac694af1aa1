/**
 * GetItem: one item by key, optionally projected.
 *
 * Strata reads the latest committed state for both consistent and eventually consistent reads on
 * a single node; capacity is charged as DynamoDB charges each kind.
 *
 * @module
 */

import { type DocumentPath, parseProjection, projectItem } from "../expressions/mod.ts";
import { checkExpressionParameters, convertAttributesToGet } from "../expressions/legacy.ts";
import { itemSizeBytes } from "../item_size.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  JsonText,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import {
  expressionAttributes,
  readUnits,
  renderConsumedCapacity,
  validateKeyInput,
} from "./item_common.ts";
import { requireTable } from "./table_description.ts";

/** `AttributesToGet` (legacy projection). */
export const ATTRIBUTES_TO_GET_SHAPE = {
  type: "List",
  constraints: { minLength: 1 },
  member: { type: "String" },
} as const;

const MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  Key: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } },
  ConsistentRead: { type: "Boolean" },
  ProjectionExpression: { type: "String" },
  ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
  AttributesToGet: ATTRIBUTES_TO_GET_SHAPE,
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
};

/** Handles GetItem. */
export async function getItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown> | JsonText> {
  const input = checkRequestShape(rawInput, MODEL);
  const projection = parseReadProjection(input, "GetItem");
  const table = requireTable(context, input.TableName as string);
  const key = validateKeyInput(input.Key, table.keySchema, { style: "current" });
  const wantsCapacity = input.ReturnConsumedCapacity === "TOTAL" ||
    input.ReturnConsumedCapacity === "INDEXES";

  if (projection === undefined && !wantsCapacity) {
    // The common case: embed the stored JSON without parsing it.
    const json = await context.items.getJson(table, key);
    return new JsonText(json === undefined ? "{}" : `{"Item":${json}}`);
  }
  const item = await context.items.get(table, key);

  const output: Record<string, unknown> = {};
  if (item !== undefined) output.Item = projection ? projectItem(item, projection) : item;
  const consistent = input.ConsistentRead === true;
  const capacity = renderConsumedCapacity(
    table.name,
    () => ({ kind: "read", tableUnits: readUnits(item ? itemSizeBytes(item) : 0, consistent) }),
    input.ReturnConsumedCapacity,
  );
  if (capacity) output.ConsumedCapacity = capacity;
  return output;
}

/**
 * Parses `ProjectionExpression` or the legacy `AttributesToGet` of a read and checks that every
 * placeholder was used. Returns undefined when the whole item is requested.
 */
export function parseReadProjection(
  input: Record<string, unknown>,
  operation: "GetItem" | "BatchGetItem",
): DocumentPath[] | undefined {
  checkExpressionParameters(input, operation);
  const attributes = expressionAttributes(input);
  let projection: DocumentPath[] | undefined;
  if (typeof input.ProjectionExpression === "string") {
    projection = parseProjection(input.ProjectionExpression, attributes);
  } else if (input.AttributesToGet !== undefined) {
    projection = convertAttributesToGet(input.AttributesToGet as string[]);
  }
  attributes.assertAllUsed();
  return projection;
}
