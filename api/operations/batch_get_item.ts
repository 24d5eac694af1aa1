/**
 * BatchGetItem: up to 100 keys across tables. Keys beyond the 16 MB response budget are returned
 * in `UnprocessedKeys` for the client to retry, as DynamoDB does.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import { itemSizeBytes } from "../item_size.ts";
import { validationError } from "../errors.ts";
import { projectItem } from "../expressions/mod.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { validateItem, validateKey } from "../validation.ts";
import { itemStorageKey } from "../../cluster/key_layout.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
} from "./context.ts";
import { ATTRIBUTES_TO_GET_SHAPE, parseReadProjection } from "./get_item.ts";
import { readUnits, renderConsumedCapacity } from "./item_common.ts";
import { requireTable } from "./table_description.ts";

/** Maximum keys in one BatchGetItem call. */
const BATCH_GET_KEYS_MAX = 100;
/** Response size after which remaining keys are left unprocessed (16 MB). */
const RESPONSE_BYTES_MAX = 16 * 1024 * 1024;

const MODEL: OperationModel = {
  RequestItems: {
    type: "Map",
    constraints: { notNull: true, minLength: 1, maxLength: 100 },
    value: {
      type: "Structure",
      members: {
        Keys: {
          type: "List",
          constraints: { notNull: true, minLength: 1, maxLength: 100 },
          member: ATTRIBUTE_MAP_SHAPE,
        },
        AttributesToGet: ATTRIBUTES_TO_GET_SHAPE,
        ConsistentRead: { type: "Boolean" },
        ProjectionExpression: { type: "String" },
        ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
      },
    },
  },
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
};

interface TableRequest {
  Keys: unknown[];
  AttributesToGet?: string[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

/** Handles BatchGetItem. */
export async function batchGetItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  const requests = input.RequestItems as Record<string, TableRequest>;
  const totalKeys = Object.values(requests).reduce((sum, request) => sum + request.Keys.length, 0);
  if (totalKeys > BATCH_GET_KEYS_MAX) {
    throw validationError("Too many items requested for the BatchGetItem call");
  }

  const plans = Object.entries(requests).map(([tableName, request]) => {
    const projection = parseReadProjection(
      request as unknown as Record<string, unknown>,
      "BatchGetItem",
    );
    const table = requireTable(context, tableName);
    const seen = new Set<string>();
    const keys = request.Keys.map((raw) => {
      const key = validateItem(raw, { style: "current" });
      validateKey(key, table.keySchema);
      const identity = itemStorageKey(table.tableId, table.keySchema, key).join(",");
      if (seen.has(identity)) {
        throw validationError("Provided list of item keys contains duplicates");
      }
      seen.add(identity);
      return key;
    });
    return { tableName, table, request, projection, keys };
  });

  const responses: Record<string, Item[]> = {};
  const unprocessed: Record<string, TableRequest> = {};
  const capacities: Record<string, unknown>[] = [];
  let responseBytes = 0;
  for (const plan of plans) {
    const found: Item[] = [];
    let units = 0;
    const consistent = plan.request.ConsistentRead === true;
    const items = await Promise.all(plan.keys.map((key) => context.items.get(plan.table, key)));
    items.forEach((item, position) => {
      const size = item === undefined ? 0 : itemSizeBytes(item);
      if (responseBytes + size > RESPONSE_BYTES_MAX) {
        const pending = unprocessed[plan.tableName] ??= { ...plan.request, Keys: [] };
        pending.Keys.push(plan.keys[position]);
        return;
      }
      units += readUnits(size, consistent);
      if (item === undefined) return;
      responseBytes += size;
      found.push(plan.projection ? projectItem(item, plan.projection) : item);
    });
    responses[plan.tableName] = found;
    const capacity = renderConsumedCapacity(
      plan.table.name,
      { kind: "read", tableUnits: units },
      input.ReturnConsumedCapacity,
    );
    if (capacity) capacities.push(capacity);
  }

  const output: Record<string, unknown> = { Responses: responses, UnprocessedKeys: unprocessed };
  if (capacities.length > 0) output.ConsumedCapacity = capacities;
  return output;
}
