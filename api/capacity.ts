/**
 * DynamoDB's capacity-unit arithmetic and the `ConsumedCapacity` response shape. Operation
 * handlers call these with item sizes from `item_size.ts` when a request sets
 * `ReturnConsumedCapacity`; pure functions on the request path.
 *
 * Rules (DynamoDB Developer Guide, "DynamoDB read and write operations", and ScyllaDB's Alternator
 * tests `test/alternator/test_returnconsumedcapacity.py`, which pass against DynamoDB):
 * - A read costs one unit per started 4 KB: `ceil(size / 4096)`, halved for an eventually
 *   consistent read and doubled for a transactional one. Reading an item that does not exist
 *   costs what a 4 KB item costs (1 strongly consistent, 0.5 eventually consistent).
 * - BatchGetItem rounds each item separately; Query and Scan add up the sizes of all items read,
 *   before any filter, and round the sum once per call.
 * - A write costs one unit per started 1 KB of the larger of the old and the new item:
 *   `ceil(max(old, new) / 1024)`, at least 1, doubled in a transaction. This covers a put that
 *   replaces an item, an update, a delete (the new item is absent) and a conditional write whose
 *   condition fails (nothing is written, the existing item is still charged).
 * - A write to a secondary index costs `ceil(entry size / 1024)` in the index. Changing an
 *   index entry's key costs two index writes: one to delete the old entry, one to put the new.
 *
 * @module
 */

/** Bytes covered by one read capacity unit (strongly consistent). */
export const READ_UNIT_BYTES = 4 * 1024;
/** Bytes covered by one write capacity unit. */
export const WRITE_UNIT_BYTES = 1024;

/** Consistency of a read, which scales its cost to 0.5, 1 or 2 units per 4 KB. */
export type ReadConsistency = "eventual" | "strong" | "transactional";

const READ_FACTOR: Record<ReadConsistency, number> = {
  eventual: 0.5,
  strong: 1,
  transactional: 2,
};

/** Returns the number of `unitBytes` blocks needed for `sizeBytes`, at least one. */
function blocks(sizeBytes: number, unitBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / unitBytes));
}

/**
 * Returns the read capacity units for reading `sizeBytes` in one rounding: one item (GetItem, an
 * item of BatchGetItem or TransactGetItems), or the summed sizes of all items a Query or Scan read.
 * A size of 0 (a missing item, an empty Query) costs the minimum of one 4 KB block.
 */
export function readCapacityUnits(sizeBytes: number, consistency: ReadConsistency): number {
  return blocks(sizeBytes, READ_UNIT_BYTES) * READ_FACTOR[consistency];
}

/**
 * Returns the read capacity units of a BatchGetItem on one table, which rounds each item
 * separately. `itemSizesBytes` has one entry per requested key (0 for a missing item).
 *
 * @example
 * ```ts
 * import { batchReadCapacityUnits } from "./capacity.ts";
 * // 1.5 KB and 6.5 KB items are charged as 4 KB + 8 KB, not as 8 KB.
 * batchReadCapacityUnits([1536, 6656], "strong"); // 3
 * ```
 */
export function batchReadCapacityUnits(
  itemSizesBytes: readonly number[],
  consistency: ReadConsistency,
): number {
  let units = 0;
  for (const sizeBytes of itemSizesBytes) units += readCapacityUnits(sizeBytes, consistency);
  return units;
}

/**
 * Returns the write capacity units of one item write: PutItem, UpdateItem, DeleteItem, a
 * BatchWriteItem request or a TransactWriteItems action. Pass the sizes of the item before and
 * after the write, with 0 for an absent item. A failed condition passes the existing item as
 * `oldSizeBytes` and 0 as `newSizeBytes`.
 */
export function writeCapacityUnits(
  oldSizeBytes: number,
  newSizeBytes: number,
  options: { transactional?: boolean } = {},
): number {
  const units = blocks(Math.max(oldSizeBytes, newSizeBytes), WRITE_UNIT_BYTES);
  return options.transactional === true ? units * 2 : units;
}

/**
 * Returns the write capacity units a secondary index consumes for one item write. Pass the
 * projected entry sizes before and after, with `undefined` where the item has no entry in the
 * index (it lacks an index key attribute).
 */
export function indexWriteCapacityUnits(
  oldEntrySizeBytes: number | undefined,
  newEntrySizeBytes: number | undefined,
  keyChanged: boolean,
): number {
  if (oldEntrySizeBytes === undefined && newEntrySizeBytes === undefined) return 0;
  if (oldEntrySizeBytes === undefined) return blocks(newEntrySizeBytes as number, WRITE_UNIT_BYTES);
  if (newEntrySizeBytes === undefined) return blocks(oldEntrySizeBytes, WRITE_UNIT_BYTES);
  if (keyChanged) {
    return blocks(oldEntrySizeBytes, WRITE_UNIT_BYTES) +
      blocks(newEntrySizeBytes, WRITE_UNIT_BYTES);
  }
  return blocks(Math.max(oldEntrySizeBytes, newEntrySizeBytes), WRITE_UNIT_BYTES);
}

/** Units consumed on one table by one request, split by where they were consumed. */
export interface CapacityUsage {
  /** Whether the units are read or write capacity units. */
  kind: "read" | "write";
  /** Units consumed by the table itself. */
  tableUnits: number;
  /** Units consumed by each global secondary index, by index name. */
  globalSecondaryIndexUnits?: Record<string, number>;
  /** Units consumed by each local secondary index, by index name. */
  localSecondaryIndexUnits?: Record<string, number>;
}

/** Units of one table or index in a `ConsumedCapacity` response. */
export interface CapacityUnitsShape {
  CapacityUnits: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** DynamoDB's `ConsumedCapacity` response member for one table. */
export interface ConsumedCapacity extends CapacityUnitsShape {
  TableName: string;
  Table?: CapacityUnitsShape;
  GlobalSecondaryIndexes?: Record<string, CapacityUnitsShape>;
  LocalSecondaryIndexes?: Record<string, CapacityUnitsShape>;
}

function unitsShape(units: number, kind: "read" | "write"): CapacityUnitsShape {
  return kind === "read"
    ? { CapacityUnits: units, ReadCapacityUnits: units }
    : { CapacityUnits: units, WriteCapacityUnits: units };
}

function indexShapes(
  unitsByIndex: Record<string, number> | undefined,
  kind: "read" | "write",
): Record<string, CapacityUnitsShape> | undefined {
  if (unitsByIndex === undefined || Object.keys(unitsByIndex).length === 0) return undefined;
  const shapes: Record<string, CapacityUnitsShape> = {};
  for (const [name, units] of Object.entries(unitsByIndex)) shapes[name] = unitsShape(units, kind);
  return shapes;
}

function sumValues(unitsByIndex: Record<string, number> | undefined): number {
  let total = 0;
  for (const units of Object.values(unitsByIndex ?? {})) total += units;
  return total;
}

/**
 * Builds the `ConsumedCapacity` member for `ReturnConsumedCapacity` `TOTAL` (table name and total
 * units) or `INDEXES` (also the units of the table and of each index involved).
 *
 * NOTE: recorded DynamoDB responses differ in whether `TOTAL` carries `ReadCapacityUnits` or
 * `WriteCapacityUnits` beside `CapacityUnits`; both are included here, and SDKs accept either.
 *
 * @example
 * ```ts
 * import { consumedCapacity } from "./capacity.ts";
 * consumedCapacity("Music", { kind: "read", tableUnits: 0.5 }, "TOTAL");
 * // { TableName: "Music", CapacityUnits: 0.5, ReadCapacityUnits: 0.5 }
 * ```
 */
export function consumedCapacity(
  tableName: string,
  usage: CapacityUsage,
  mode: "TOTAL" | "INDEXES",
): ConsumedCapacity {
  const total = usage.tableUnits + sumValues(usage.globalSecondaryIndexUnits) +
    sumValues(usage.localSecondaryIndexUnits);
  const result: ConsumedCapacity = { TableName: tableName, ...unitsShape(total, usage.kind) };
  if (mode === "TOTAL") return result;

  result.Table = unitsShape(usage.tableUnits, usage.kind);
  const globalIndexes = indexShapes(usage.globalSecondaryIndexUnits, usage.kind);
  if (globalIndexes !== undefined) result.GlobalSecondaryIndexes = globalIndexes;
  const localIndexes = indexShapes(usage.localSecondaryIndexUnits, usage.kind);
  if (localIndexes !== undefined) result.LocalSecondaryIndexes = localIndexes;
  return result;
}
