/**
 * Query: the items of one partition key value in sort key order (or reverse), from a table or a
 * secondary index, one page per call.
 *
 * @module
 */

import type { AttributeValue } from "../attribute_value.ts";
import type { Entry } from "../../storage/engine.ts";
import type { IndexDefinition, KeySchema, TableDefinition } from "../../cluster/catalog.ts";
import { indexEntryKey } from "../../cluster/item_store.ts";
import {
  itemStorageKey,
  keySuccessor,
  partitionKeyPrefix,
  sortKeyRange,
} from "../../cluster/key_layout.ts";
import { compareKeys } from "../../storage/engine.ts";
import { validationError } from "../errors.ts";
import {
  assertFilterAvoidsKeyAttributes,
  type Condition,
  type DocumentPath,
  type KeyConditionResult,
  parseKeyCondition,
} from "../expressions/mod.ts";
import {
  checkExpressionParameters,
  convertKeyConditions,
  type LegacyCondition,
} from "../expressions/legacy.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { validateItem } from "../validation.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  EXPRESSION_VALUES_SHAPE,
  INDEX_NAME_SHAPE,
  type JsonText,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import { ATTRIBUTES_TO_GET_SHAPE } from "./get_item.ts";
import { expressionAttributes, keyAttributeNames, validateLegacyValues } from "./item_common.ts";
import { CONDITIONAL_OPERATOR_SHAPE } from "./put_item.ts";
import { parseFilterAndProjection, readPage, resolveSelect } from "./read_page.ts";
import { requireTable } from "./table_description.ts";

/** `Select`. */
export const SELECT_SHAPE = {
  type: "String",
  constraints: {
    enumValues: ["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"],
  },
} as const;

/** `Limit` of Query and Scan. */
export const LIMIT_SHAPE = { type: "Integer", constraints: { minValue: 1 } } as const;

const MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  IndexName: INDEX_NAME_SHAPE,
  Select: SELECT_SHAPE,
  AttributesToGet: ATTRIBUTES_TO_GET_SHAPE,
  Limit: LIMIT_SHAPE,
  ConsistentRead: { type: "Boolean" },
  KeyConditions: { type: "Map", value: { type: "Object" } },
  QueryFilter: { type: "Map", value: { type: "Object" } },
  ConditionalOperator: CONDITIONAL_OPERATOR_SHAPE,
  ScanIndexForward: { type: "Boolean" },
  ExclusiveStartKey: ATTRIBUTE_MAP_SHAPE,
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
  ProjectionExpression: { type: "String" },
  FilterExpression: { type: "String" },
  KeyConditionExpression: { type: "String" },
  ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
  ExpressionAttributeValues: EXPRESSION_VALUES_SHAPE,
};

interface ParsedQuery {
  keyCondition: KeyConditionResult;
  filter?: Condition;
  projection?: DocumentPath[];
}

/** Handles Query. */
export async function query(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown> | JsonText> {
  const input = checkRequestShape(rawInput, MODEL);
  const table = requireTable(context, input.TableName as string);
  const index = findIndex(table, input.IndexName as string | undefined);
  const keySchema = index?.keySchema ?? table.keySchema;
  const consistent = input.ConsistentRead === true;
  if (consistent && index?.kind === "global") {
    throw validationError("Consistent reads are not supported on global secondary indexes");
  }
  const parsed = parseQueryExpressions(input, keySchema);
  const select = resolveSelect(input.Select as string | undefined, !!parsed.projection, index);

  const prefix = partitionKeyPrefix(
    index?.indexId ?? table.tableId,
    parsed.keyCondition.partitionKeyValue,
  );
  const range = sortKeyRange(prefix, parsed.keyCondition.sortKeyCondition);
  const reverse = input.ScanIndexForward === false;
  if (input.ExclusiveStartKey !== undefined) {
    const startKey = startKeyBytes(table, index, input.ExclusiveStartKey);
    checkStartKeyInQuery(
      startKey,
      prefix,
      range,
      keySchema,
      parsed.keyCondition,
      index === undefined,
    );
    if (reverse) {
      if (compareKeys(startKey, range.end) < 0) range.end = startKey;
    } else {
      const after = keySuccessor(startKey);
      if (compareKeys(after, range.start) > 0) range.start = after;
    }
  }

  const snapshot = context.items.snapshot();
  try {
    const source = compareKeys(range.start, range.end) < 0
      ? context.items.queryRange(range, reverse, snapshot)
      : emptySource();
    return await readPage(source, {
      table,
      index,
      limit: input.Limit as number | undefined,
      restartable: index !== undefined || !returnsSingleItem(keySchema, parsed.keyCondition),
      filter: parsed.filter,
      projection: parsed.projection,
      select,
      consistent,
      returnConsumedCapacity: input.ReturnConsumedCapacity,
      fetchTableItem: needsTableFetch(index, select, parsed.projection)
        ? (entry) => context.items.get(table, entry, snapshot)
        : undefined,
    });
  } finally {
    snapshot.release();
  }
}

/**
 * Rejects an `ExclusiveStartKey` that the query could not have returned, with DynamoDB's
 * messages: another partition key value, a sort key outside the key condition, or any start key
 * for a query that returns at most one item (a table query on the full primary key).
 */
function checkStartKeyInQuery(
  startKey: Uint8Array,
  partitionPrefix: Uint8Array,
  range: { start: Uint8Array; end: Uint8Array },
  keySchema: KeySchema,
  keyCondition: KeyConditionResult,
  onTable: boolean,
): void {
  if (!hasPrefix(startKey, partitionPrefix)) {
    throw validationError(
      "The provided starting key is outside query boundaries based on provided conditions",
    );
  }
  if (onTable && returnsSingleItem(keySchema, keyCondition)) {
    throw validationError("The query can return at most one row and cannot be restarted");
  }
  if (compareKeys(startKey, range.start) < 0 || compareKeys(startKey, range.end) >= 0) {
    throw validationError("The provided starting key does not match the range key predicate");
  }
}

/** Returns whether a key condition on this key schema names one full primary key. */
function returnsSingleItem(keySchema: KeySchema, keyCondition: KeyConditionResult): boolean {
  return keySchema.sortKey === undefined || keyCondition.sortKeyCondition?.operator === "=";
}

function hasPrefix(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) {
    if (bytes[index] !== prefix[index]) return false;
  }
  return true;
}

function parseQueryExpressions(input: Record<string, unknown>, keySchema: KeySchema): ParsedQuery {
  checkExpressionParameters(input, "Query");
  const attributes = expressionAttributes(input);
  // DynamoDB parses the filter and projection before the key condition.
  const { filter, projection } = parseFilterAndProjection(input, attributes, "QueryFilter");
  if (filter !== undefined) {
    const parameter = typeof input.FilterExpression === "string"
      ? "Filter Expression"
      : "QueryFilter";
    assertFilterAvoidsKeyAttributes(filter, keyAttributeNames(keySchema), parameter);
  }
  let keyCondition: KeyConditionResult;
  if (typeof input.KeyConditionExpression === "string") {
    keyCondition = parseKeyCondition(input.KeyConditionExpression, attributes, keySchema);
  } else if (input.KeyConditions !== undefined) {
    keyCondition = convertKeyConditions(
      validateLegacyValues(input.KeyConditions) as Record<string, LegacyCondition>,
      keySchema,
    );
  } else {
    throw validationError(
      "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    );
  }
  attributes.assertAllUsed();
  return { keyCondition, filter, projection };
}

/** Returns the named index of `table`, or throws DynamoDB's error for an unknown index. */
export function findIndex(
  table: TableDefinition,
  name: string | undefined,
): IndexDefinition | undefined {
  if (name === undefined) return undefined;
  const index = [...table.localIndexes, ...table.globalIndexes].find((candidate) =>
    candidate.name === name
  );
  if (index === undefined) {
    throw validationError(`The table does not have the specified index: ${name}`);
  }
  if (index.backfilling) {
    throw validationError(`Cannot read from backfilling global secondary index: ${name}`);
  }
  return index;
}

/**
 * Validates `ExclusiveStartKey` and returns the storage key it names: the table's key attributes,
 * plus the index's when reading an index.
 */
export function startKeyBytes(
  table: TableDefinition,
  index: IndexDefinition | undefined,
  raw: unknown,
): Uint8Array {
  const key = validateItem(raw);
  const schemas = index === undefined ? [table.keySchema] : [table.keySchema, index.keySchema];
  const expected = new Set<string>();
  for (const schema of schemas) {
    for (const attribute of [schema.partitionKey, schema.sortKey]) {
      if (attribute === undefined) continue;
      expected.add(attribute.name);
      const value: AttributeValue | undefined = key[attribute.name];
      if (value === undefined || !(attribute.type in value)) {
        throw validationError(
          "The provided starting key is invalid: The provided key element does not match the schema",
        );
      }
    }
  }
  if (Object.keys(key).some((name) => !expected.has(name))) {
    throw validationError(
      "The provided starting key is invalid: The provided key element does not match the schema",
    );
  }
  if (index === undefined) return itemStorageKey(table.tableId, table.keySchema, key);
  return indexEntryKey(table, index, key)!;
}

function needsTableFetch(
  index: IndexDefinition | undefined,
  select: string,
  projection: DocumentPath[] | undefined,
): boolean {
  if (index === undefined || index.kind !== "local" || index.projection.type === "ALL") {
    return false;
  }
  if (select === "ALL_ATTRIBUTES") return true;
  if (projection === undefined) return false;
  const available = new Set(index.projection.nonKeyAttributes ?? []);
  return projection.some((path) => !available.has(path[0] as string));
}

async function* emptySource(): AsyncGenerator<Entry> {}
