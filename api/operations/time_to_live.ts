/**
 * Time to live: UpdateTimeToLive, DescribeTimeToLive, and the background sweeper that deletes
 * expired items.
 *
 * An item expires when its TTL attribute is a number of epoch seconds in the past. As in
 * DynamoDB, expired items stay readable until the sweeper deletes them. The sweeper re-checks the
 * expiry under the item's key lock, so an item rewritten with a later expiry is kept.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import { TOKEN_SPACE } from "../../cluster/key_layout.ts";
import { decodeItem } from "../../cluster/item_codec.ts";
import { validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { type OperationContext, TABLE_NAME_SHAPE } from "./context.ts";
import { requireTable } from "./table_description.ts";

const UPDATE_MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  TimeToLiveSpecification: {
    type: "Structure",
    constraints: { notNull: true },
    members: {
      Enabled: { type: "Boolean", constraints: { notNull: true } },
      AttributeName: {
        type: "String",
        constraints: { notNull: true, minLength: 1, maxLength: 255 },
      },
    },
  },
};

/** Handles UpdateTimeToLive. */
export async function updateTimeToLive(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, UPDATE_MODEL);
  const specification = input.TimeToLiveSpecification as {
    Enabled: boolean;
    AttributeName: string;
  };
  const table = requireTable(context, input.TableName as string);
  const current = table.timeToLive;
  if (specification.Enabled && current?.enabled) {
    throw validationError("TimeToLive is already enabled");
  }
  if (!specification.Enabled && !current?.enabled) {
    throw validationError("TimeToLive is already disabled");
  }
  if (
    !specification.Enabled && current !== undefined &&
    current.attributeName !== specification.AttributeName
  ) {
    throw validationError(
      `TimeToLive attribute name does not match the enabled attribute: ${current.attributeName}`,
    );
  }
  await context.catalog.put({
    ...table,
    timeToLive: { attributeName: specification.AttributeName, enabled: specification.Enabled },
  });
  return { TimeToLiveSpecification: specification };
}

/** Handles DescribeTimeToLive. */
export function describeTimeToLive(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, { TableName: TABLE_NAME_SHAPE });
  const table = requireTable(context, input.TableName as string);
  const ttl = table.timeToLive;
  if (ttl === undefined || !ttl.enabled) {
    return Promise.resolve({ TimeToLiveDescription: { TimeToLiveStatus: "DISABLED" } });
  }
  return Promise.resolve({
    TimeToLiveDescription: { TimeToLiveStatus: "ENABLED", AttributeName: ttl.attributeName },
  });
}

/** Returns whether `item` has expired at `nowSeconds` under TTL attribute `attributeName`. */
export function isExpired(
  item: Item | undefined,
  attributeName: string,
  nowSeconds: number,
): boolean {
  const value = item?.[attributeName];
  if (value === undefined || !("N" in value)) return false;
  const expiry = Number(value.N);
  return Number.isFinite(expiry) && expiry > 0 && expiry < nowSeconds;
}

/**
 * Deletes expired items of every TTL-enabled table once.
 *
 * NOTE: each sweep reads every item of every TTL-enabled table, so its cost grows with the data;
 * a large store needs an expiry index instead. Returns the number deleted. Reads at a
 * snapshot and deletes each candidate under its key lock after re-checking it.
 */
export async function sweepExpiredItems(
  context: OperationContext,
  nowSeconds: number,
  deleteLimit = 10_000,
): Promise<number> {
  let deleted = 0;
  for (const name of context.catalog.names()) {
    const table = context.catalog.get(name);
    const ttl = table?.timeToLive;
    if (table === undefined || ttl === undefined || !ttl.enabled) continue;
    const snapshot = context.items.snapshot();
    try {
      for await (
        const entry of context.items.scanTokens(table.tableId, 0n, TOKEN_SPACE, snapshot)
      ) {
        const item = decodeItem(entry.value);
        if (!isExpired(item, ttl.attributeName, nowSeconds)) continue;
        const removed = await context.items.write(table, item, (current) => {
          const expired = isExpired(current, ttl.attributeName, nowSeconds);
          return { item: expired ? null : undefined, result: expired };
        });
        if (removed) deleted++;
        if (deleted >= deleteLimit) return deleted;
      }
    } finally {
      snapshot.release();
    }
  }
  return deleted;
}
