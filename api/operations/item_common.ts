/**
 * Pieces shared by the item operations: parameter models, expression set-up, key and item
 * validation against a table, ReturnValues and consumed capacity.
 *
 * @module
 */

import type { AttributeValue, Item } from "../attribute_value.ts";
import type { IndexDefinition, KeySchema, TableDefinition } from "../../cluster/catalog.ts";
import { validationError } from "../errors.ts";
import { checkPlaceholderKeys, ExpressionAttributes } from "../expressions/mod.ts";
import {
  itemNestingDepth,
  NESTING_DEPTH_MAX,
  NESTING_MESSAGE,
  validateAttributeValue,
  validateItem,
  validateKey,
  type ValueValidationOptions,
} from "../validation.ts";
import { itemSizeBytes, keyValueSizeBytes } from "../item_size.ts";
import {
  type CapacityUsage,
  consumedCapacity,
  indexWriteCapacityUnits,
  readCapacityUnits,
  writeCapacityUnits,
} from "../capacity.ts";
import { projectForIndex } from "../../cluster/item_store.ts";

/** Largest partition key value, in bytes, for tables and indexes. */
const PARTITION_KEY_BYTES_MAX = 2048;
/** Largest sort key value, in bytes, for tables and indexes. */
const SORT_KEY_BYTES_MAX = 1024;

/** Largest item DynamoDB stores, in bytes (400 KB), names and values included. */
export const ITEM_SIZE_BYTES_MAX = 400 * 1024;

const INVALID = "One or more parameter values were invalid: ";

/**
 * Validates `ExpressionAttributeNames`/`Values` and wraps them for the expression parsers.
 * Values get DynamoDB's `ExpressionAttributeValues contains invalid value: ...` message.
 */
export function expressionAttributes(input: Record<string, unknown>): ExpressionAttributes {
  const names = input.ExpressionAttributeNames as Record<string, string> | undefined;
  const rawValues = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  // DynamoDB checks the placeholder keys of both maps before the values.
  checkPlaceholderKeys(names, rawValues);
  let values: Record<string, AttributeValue> | undefined;
  if (rawValues !== undefined) {
    values = {};
    for (const [key, raw] of Object.entries(rawValues)) {
      try {
        values[key] = validateAttributeValue(raw);
      } catch (error) {
        if (error instanceof Error && "type" in error && error.type === "ValidationException") {
          throw validationError(
            `ExpressionAttributeValues contains invalid value: ${error.message} for key ${key}`,
          );
        }
        throw error;
      }
    }
  }
  return new ExpressionAttributes(names, values);
}

/**
 * Checks the secondary index key attributes of an item being written: an index key attribute that
 * is present must have the index's type and must not be empty.
 */
export function checkIndexKeyAttributes(table: TableDefinition, item: Item): void {
  for (const index of [...table.localIndexes, ...table.globalIndexes]) {
    for (const attribute of [index.keySchema.partitionKey, index.keySchema.sortKey]) {
      if (attribute === undefined) continue;
      const value = item[attribute.name];
      if (value === undefined) continue;
      const actual = Object.keys(value)[0]!;
      if (actual !== attribute.type) {
        throw validationError(
          INVALID +
            `Type mismatch for Index Key ${attribute.name} Expected: ${attribute.type} Actual: ${actual} IndexName: ${index.name}`,
        );
      }
      const text = (value as Record<string, unknown>)[actual];
      const isSortKey = attribute === index.keySchema.sortKey;
      if (keyValueSizeBytes(value) > (isSortKey ? SORT_KEY_BYTES_MAX : PARTITION_KEY_BYTES_MAX)) {
        // NOTE: DynamoDB rejects such writes; its exact message for index keys is not recorded,
        // so this reuses the table key's wording with the index named.
        throw validationError(
          INVALID +
            (isSortKey
              ? "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
              : "Size of hashkey has exceeded the maximum size limit of2048 bytes") +
            ` IndexName: ${index.name}, IndexKey: ${attribute.name}`,
        );
      }
      if (text === "") {
        throw validationError(
          "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. " +
            `IndexName: ${index.name}, IndexKey: ${attribute.name}`,
        );
      }
    }
  }
}

/** Throws DynamoDB's item-size error when `item` is over 400 KB; returns the size otherwise. */
export function checkItemSize(item: Item, message: string): number {
  const sizeBytes = itemSizeBytes(item);
  if (sizeBytes > ITEM_SIZE_BYTES_MAX) throw validationError(message);
  return sizeBytes;
}

/**
 * Checks an item produced by an update: no value may be nested deeper than DynamoDB's 32 levels,
 * and the whole item must fit in 400 KB.
 */
export function checkUpdatedItem(item: Item): void {
  if (itemNestingDepth(item) > NESTING_DEPTH_MAX) throw validationError(NESTING_MESSAGE);
  checkItemSize(item, "Item size to update has exceeded the maximum allowed size");
}

/** Returns the key attributes of `item` for `table` (used in LastEvaluatedKey and batches). */
export function keyOf(table: TableDefinition, item: Item, index?: IndexDefinition): Item {
  const key: Item = {};
  const schemas = index === undefined ? [table.keySchema] : [table.keySchema, index.keySchema];
  for (const schema of schemas) {
    for (const attribute of [schema.partitionKey, schema.sortKey]) {
      if (attribute === undefined) continue;
      const value = item[attribute.name];
      if (value !== undefined) key[attribute.name] = value;
    }
  }
  return key;
}

/** Checks `ReturnValuesOnConditionCheckFailure`: ALL_OLD returns the item in the error. */
export function wantsOldItemOnFailure(input: Record<string, unknown>): boolean {
  return input.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
}

/**
 * Renders `ConsumedCapacity` for one table, or undefined when the client did not ask for it
 * (`ReturnConsumedCapacity` absent or NONE). Pass `usage` as a function to skip computing item
 * sizes when the client did not ask.
 */
export function renderConsumedCapacity(
  tableName: string,
  usage: CapacityUsage | (() => CapacityUsage),
  report: unknown,
): Record<string, unknown> | undefined {
  if (report !== "TOTAL" && report !== "INDEXES") return undefined;
  const computed = typeof usage === "function" ? usage() : usage;
  return { ...consumedCapacity(tableName, computed, report) };
}

/** Read units for `sizeBytes` read in one rounding (an item, or a Query/Scan page). */
export function readUnits(sizeBytes: number, consistent: boolean): number {
  return readCapacityUnits(sizeBytes, consistent ? "strong" : "eventual");
}

/**
 * Write capacity of one item write including secondary index maintenance: the table is charged
 * for the larger of the old and new item, each index for the entries it puts or deletes.
 */
export function writeUsage(
  table: TableDefinition,
  before: Item | undefined,
  after: Item | undefined,
  options: { transactional?: boolean } = {},
): CapacityUsage {
  const usage: CapacityUsage = {
    kind: "write",
    tableUnits: writeCapacityUnits(
      before ? itemSizeBytes(before) : 0,
      after ? itemSizeBytes(after) : 0,
      options,
    ),
  };
  for (const index of [...table.localIndexes, ...table.globalIndexes]) {
    const oldEntry = before !== undefined && hasIndexKeys(index, before)
      ? projectForIndex(table, index, before)
      : undefined;
    const newEntry = after !== undefined && hasIndexKeys(index, after)
      ? projectForIndex(table, index, after)
      : undefined;
    const keyChanged = oldEntry !== undefined && newEntry !== undefined &&
      !sameIndexKey(index, oldEntry, newEntry);
    const units = indexWriteCapacityUnits(
      oldEntry && itemSizeBytes(oldEntry),
      newEntry && itemSizeBytes(newEntry),
      keyChanged,
    );
    if (units === 0) continue;
    const target = index.kind === "global"
      ? "globalSecondaryIndexUnits"
      : "localSecondaryIndexUnits";
    usage[target] = { ...(usage[target] ?? {}), [index.name]: units };
  }
  return usage;
}

function sameIndexKey(index: IndexDefinition, first: Item, second: Item): boolean {
  const names = [index.keySchema.partitionKey.name, index.keySchema.sortKey?.name];
  return names.every((name) =>
    name === undefined || JSON.stringify(first[name]) === JSON.stringify(second[name])
  );
}

function hasIndexKeys(index: IndexDefinition, item: Item): boolean {
  const { partitionKey, sortKey } = index.keySchema;
  return item[partitionKey.name] !== undefined &&
    (sortKey === undefined || item[sortKey.name] !== undefined);
}

/** Validates a raw `Key` parameter against a table's key schema and returns it. */
export function validateKeyInput(
  raw: unknown,
  schema: KeySchema,
  options: ValueValidationOptions,
): Item {
  const key = validateItem(raw, options);
  validateKey(key, schema);
  return key;
}

/**
 * Validates the attribute values inside a legacy condition or update map (`Expected`,
 * `QueryFilter`, `ScanFilter`, `KeyConditions`, `AttributeUpdates`): each entry's `Value` and
 * every element of its `AttributeValueList`. Returns a copy with canonical values, or undefined.
 */
export function validateLegacyValues(
  entries: unknown,
): Record<string, Record<string, unknown>> | undefined {
  if (entries === undefined) return undefined;
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(entries as Record<string, Record<string, unknown>>)) {
    const entry = { ...raw };
    if (entry.Value !== undefined && entry.Value !== null) {
      entry.Value = validateAttributeValue(entry.Value);
    }
    if (Array.isArray(entry.AttributeValueList)) {
      entry.AttributeValueList = entry.AttributeValueList.map((value) =>
        validateAttributeValue(value)
      );
    }
    result[name] = entry;
  }
  return result;
}

/**
 * Returns `ItemCollectionMetrics` for a write to a table with local secondary indexes when the
 * request sets `ReturnItemCollectionMetrics` to SIZE, else undefined (DynamoDB omits them for
 * tables without local indexes).
 *
 * NOTE: Strata does not track item collection sizes, so the estimate is always the lowest range
 * DynamoDB reports, 0 to 1 GB.
 */
export function itemCollectionMetrics(
  table: TableDefinition,
  key: Item,
  input: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (input.ReturnItemCollectionMetrics !== "SIZE" || table.localIndexes.length === 0) {
    return undefined;
  }
  const partitionKey = table.keySchema.partitionKey.name;
  return {
    ItemCollectionKey: { [partitionKey]: key[partitionKey] },
    SizeEstimateRangeGB: [0, 1],
  };
}

/** Returns the key attribute names of a key schema, partition key first (DynamoDB's order). */
export function keyAttributeNames(schema: KeySchema): string[] {
  const names = [schema.partitionKey.name];
  if (schema.sortKey !== undefined) names.push(schema.sortKey.name);
  return names;
}
