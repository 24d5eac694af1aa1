/**
 * BatchWriteItem: up to 25 puts and deletes across tables. Strata applies all of them in one
 * atomic storage batch, so `UnprocessedItems` is always empty; DynamoDB itself promises no
 * atomicity here, so clients written for DynamoDB remain correct.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import { validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { validateItem, validateItemKeyAttributes, validateKey } from "../validation.ts";
import { itemStorageKey } from "../../cluster/key_layout.ts";
import type { TableDefinition } from "../../cluster/catalog.ts";
import type { WriteRequest } from "../../cluster/item_store.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  RETURN_ITEM_COLLECTION_METRICS_SHAPE,
} from "./context.ts";
import {
  checkIndexKeyAttributes,
  checkItemSize,
  keyOf,
  renderConsumedCapacity,
  writeUsage,
} from "./item_common.ts";
import type { CapacityUsage } from "../capacity.ts";
import { requireTable } from "./table_description.ts";

/** Maximum put and delete requests in one BatchWriteItem call. */
const BATCH_WRITE_REQUESTS_MAX = 25;

const MODEL: OperationModel = {
  RequestItems: {
    type: "Map",
    constraints: { notNull: true, minLength: 1 },
    value: {
      type: "List",
      member: {
        type: "Structure",
        members: {
          PutRequest: {
            type: "Structure",
            members: { Item: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } } },
          },
          DeleteRequest: {
            type: "Structure",
            members: { Key: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } } },
          },
        },
      },
    },
  },
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
  ReturnItemCollectionMetrics: RETURN_ITEM_COLLECTION_METRICS_SHAPE,
};

interface RawWriteRequest {
  PutRequest?: { Item: unknown };
  DeleteRequest?: { Key: unknown };
}

interface PlannedWrite {
  table: TableDefinition;
  key: Item;
  /** The item to put, or null to delete. */
  item: Item | null;
}

/** Handles BatchWriteItem. */
export async function batchWriteItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  const requests = input.RequestItems as Record<string, RawWriteRequest[]>;
  checkRequestCounts(requests);

  const planned: PlannedWrite[] = [];
  for (const [tableName, tableRequests] of Object.entries(requests)) {
    const table = requireTable(context, tableName);
    const seen = new Set<string>();
    for (const request of tableRequests) {
      const write = planWrite(table, request);
      const identity = itemStorageKey(table.tableId, table.keySchema, write.key).join(",");
      if (seen.has(identity)) {
        throw validationError("Provided list of item keys contains duplicates");
      }
      seen.add(identity);
      planned.push(write);
    }
  }

  const report = input.ReturnConsumedCapacity;
  const wantsCapacity = report === "TOTAL" || report === "INDEXES";
  const writes: WriteRequest<CapacityUsage | undefined>[] = planned.map((write) => ({
    table: write.table,
    key: write.key,
    decide: (current) => {
      // Item sizes are computed only when the client asked for consumed capacity.
      const result = wantsCapacity
        ? writeUsage(write.table, current, write.item ?? undefined)
        : undefined;
      if (write.item !== null) return { item: write.item, result };
      // Deleting an absent item writes nothing.
      return { item: current === undefined ? undefined : null, result };
    },
  }));
  const usages = await context.items.writeAtomically(writes);

  const output: Record<string, unknown> = { UnprocessedItems: {} };
  if (wantsCapacity) {
    output.ConsumedCapacity = summariseCapacity(planned, usages as CapacityUsage[], report);
  }
  return output;
}

function checkRequestCounts(requests: Record<string, RawWriteRequest[]>): void {
  let total = 0;
  for (const tableRequests of Object.values(requests)) {
    if (tableRequests.length < 1 || tableRequests.length > BATCH_WRITE_REQUESTS_MAX) {
      throw validationError(
        `1 validation error detected: Value '${
          JSON.stringify(requests)
        }' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
      );
    }
    total += tableRequests.length;
  }
  if (total > BATCH_WRITE_REQUESTS_MAX) {
    throw validationError("Too many items requested for the BatchWriteItem call");
  }
}

function planWrite(table: TableDefinition, request: RawWriteRequest): PlannedWrite {
  const actions = (request.PutRequest ? 1 : 0) + (request.DeleteRequest ? 1 : 0);
  if (actions !== 1) {
    throw validationError(
      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    );
  }
  if (request.PutRequest) {
    const item = validateItem(request.PutRequest.Item, { style: "older" });
    validateItemKeyAttributes(item, table.keySchema);
    checkIndexKeyAttributes(table, item);
    checkItemSize(item, "Item size has exceeded the maximum allowed size");
    return { table, key: keyOf(table, item), item };
  }
  const key = validateItem(request.DeleteRequest!.Key, { style: "older" });
  validateKey(key, table.keySchema);
  return { table, key, item: null };
}

function summariseCapacity(
  planned: PlannedWrite[],
  usages: CapacityUsage[],
  report: unknown,
): Record<string, unknown>[] {
  const totals = new Map<string, CapacityUsage>();
  planned.forEach((write, position) => {
    const usage = usages[position]!;
    const total = totals.get(write.table.name) ?? { kind: "write", tableUnits: 0 };
    total.tableUnits += usage.tableUnits;
    for (const field of ["globalSecondaryIndexUnits", "localSecondaryIndexUnits"] as const) {
      for (const [name, units] of Object.entries(usage[field] ?? {})) {
        total[field] = { ...(total[field] ?? {}), [name]: (total[field]?.[name] ?? 0) + units };
      }
    }
    totals.set(write.table.name, total);
  });
  const rendered: Record<string, unknown>[] = [];
  for (const [tableName, usage] of totals) {
    const capacity = renderConsumedCapacity(tableName, usage, report);
    if (capacity) rendered.push(capacity);
  }
  return rendered;
}
