/**
 * The data plane of one node: reads and serialised read-modify-write of items, secondary index
 * maintenance, and range iteration for Query and Scan, over the storage engine.
 *
 * Callers (the API operations) pass a `decide` function for every write. The store locks the
 * item's key, reads the current item, calls `decide` (which evaluates conditions and update
 * expressions and may throw to reject the write), then writes the new item and its index entries
 * in one atomic storage batch. Because conditions are evaluated under the key lock, concurrent
 * conditional writes and counters never lose updates. In a cluster the same `decide` runs when the
 * partition's Raft log applies the write.
 *
 * Secondary indexes are maintained in the same batch as the item, so they are never behind the
 * table on this node (DynamoDB only promises eventual consistency for global indexes).
 *
 * @module
 */

import type { Item } from "../api/attribute_value.ts";
import { keyValueSizeBytes } from "../api/item_size.ts";
import { binaryString, compareKeys } from "../storage/engine.ts";
import type { Entry, Snapshot, StorageEngine, WriteOperation } from "../storage/engine.ts";
import type { IndexDefinition, KeySchema, TableDefinition } from "./catalog.ts";
import { decodeItem, encodeItem, storedItemJson } from "./item_codec.ts";
import { KeyLocks } from "./key_locks.ts";
import {
  concatBytes,
  itemStorageKey,
  keySpaceEndInPartition,
  keySuccessor,
  PARTITION_COUNT,
  partitionOf,
  partitionStartToken,
  tableKeySuffix,
  TOKEN_SPACE,
  tokenBoundKey,
} from "./key_layout.ts";

/** The outcome of a write's `decide` function. */
export interface Mutation<T> {
  /** The new item; null deletes it; undefined leaves it unchanged. */
  item: Item | null | undefined;
  /** Returned to the caller of the write. */
  result: T;
  /** DynamoDB size of `item` when the caller has computed it; computed on encoding otherwise. */
  itemSizeBytes?: number;
}

/** Decides a write given the current item (undefined when absent). May throw to reject it. */
export type Decide<T> = (current: Item | undefined) => Mutation<T>;

/** One write of a multi-item atomic batch. */
export interface WriteRequest<T> {
  table: TableDefinition;
  /** Contains at least the table's key attributes. */
  key: Item;
  decide: Decide<T>;
  /**
   * Set when `decide` does not look at the current item: it then receives undefined, and the
   * stored item is not decoded unless the table's indexes need it.
   */
  ignoresCurrent?: boolean;
}

/** A table or one of its indexes, as the target of Query or Scan. */
export interface KeySpace {
  table: TableDefinition;
  index?: IndexDefinition;
}

/** A half-open key range `[start, end)` inside one partition key value or key space. */
export interface KeyRange {
  start: Uint8Array;
  end: Uint8Array;
}

/** Approximate per-table statistics for DescribeTable. */
export interface TableStatistics {
  itemCount: number;
  sizeBytes: number;
}

/** Reads and writes items of all tables on this node. */
export class ItemStore {
  readonly #engine: StorageEngine;
  readonly #locks = new KeyLocks();
  readonly #statistics = new Map<number, TableStatistics>();

  constructor(engine: StorageEngine) {
    this.#engine = engine;
  }

  /** Returns the item with `key` (the table's key attributes), or undefined. */
  async get(table: TableDefinition, key: Item, snapshot?: Snapshot): Promise<Item | undefined> {
    const value = await this.#engine.get(
      itemStorageKey(table.tableId, table.keySchema, key),
      snapshot,
    );
    return value === undefined ? undefined : decodeItem(value);
  }

  /**
   * Returns the stored JSON text of the item with `key`, or undefined. Lets GetItem respond
   * without parsing and re-serialising the item.
   */
  async getJson(table: TableDefinition, key: Item): Promise<string | undefined> {
    const value = await this.#engine.getView(itemStorageKey(table.tableId, table.keySchema, key));
    return value === undefined ? undefined : storedItemJson(value);
  }

  /**
   * Performs one serialised read-modify-write of the item with `key`. See
   * {@linkcode WriteRequest.ignoresCurrent} for the option.
   */
  async write<T>(
    table: TableDefinition,
    key: Item,
    decide: Decide<T>,
    options: { ignoresCurrent?: boolean } = {},
  ): Promise<T> {
    const [result] = await this.writeAtomically([
      { table, key, decide, ignoresCurrent: options.ignoresCurrent },
    ]);
    return result as T;
  }

  /**
   * Performs several read-modify-writes as one atomic batch: every `decide` runs before anything
   * is written, and if one throws, nothing is written and the error propagates. `beforeWrite`
   * receives every result and may throw to abort the whole batch (transactions use it to report
   * every failed condition at once).
   */
  async writeAtomically<T>(
    requests: readonly WriteRequest<T>[],
    beforeWrite?: (results: readonly T[]) => void,
  ): Promise<T[]> {
    const keys = requests.map((request) =>
      itemStorageKey(request.table.tableId, request.table.keySchema, request.key)
    );
    const release = await this.#locks.acquire(keys.map(binaryString));
    try {
      const currents = await Promise.all(keys.map((key) => this.#engine.getView(key)));
      const operations: WriteOperation[] = [];
      const results: T[] = [];
      const statisticsChanges: Array<() => void> = [];
      requests.forEach((request, index) => {
        const currentValue = currents[index];
        const table = request.table;
        const decodesCurrent = request.ignoresCurrent !== true ||
          table.localIndexes.length > 0 || table.globalIndexes.length > 0;
        const current = currentValue === undefined || !decodesCurrent
          ? undefined
          : decodeItem(currentValue);
        const mutation = request.decide(current);
        results.push(mutation.result);
        if (mutation.item === undefined) return;
        const key = keys[index]!;
        const newValue = mutation.item === null
          ? undefined
          : encodeItem(mutation.item, mutation.itemSizeBytes);
        operations.push(
          newValue === undefined ? { kind: "delete", key } : { kind: "put", key, value: newValue },
        );
        operations.push(...indexOperations(request.table, current, mutation.item ?? undefined));
        statisticsChanges.push(() =>
          this.#recordChange(request.table.tableId, currentValue, newValue)
        );
      });
      beforeWrite?.(results);
      if (operations.length > 0) await this.#engine.write(operations);
      for (const apply of statisticsChanges) apply();
      return results;
    } finally {
      release();
    }
  }

  /**
   * Iterates the stored items (or index entries) with one partition key value within `range`, in
   * sort key order or reverse, at `snapshot`. Decode each value with {@linkcode decodeItem}; the
   * entries come straight from the engine, without a wrapping generator or copies, because Query
   * pages are on the hot path. The yielded arrays must not be modified.
   */
  queryRange(range: KeyRange, reverse: boolean, snapshot: Snapshot): AsyncIterableIterator<Entry> {
    return this.#engine.scan({ ...range, reverse, snapshot, views: true });
  }

  /**
   * Iterates a key space in token order over tokens `[startToken, endToken)`, starting after
   * `exclusiveStartKey` (a storage key) when given. The yielded arrays must not be modified.
   */
  async *scanTokens(
    keySpaceId: number,
    startToken: bigint,
    endToken: bigint,
    snapshot: Snapshot,
    exclusiveStartKey?: Uint8Array,
  ): AsyncGenerator<Entry> {
    if (startToken >= endToken) return;
    const firstPartition = partitionOf(startToken);
    const lastPartition = partitionOf(endToken - 1n);
    for (let partition = firstPartition; partition <= lastPartition; partition++) {
      const partitionEnd = partition + 1 < PARTITION_COUNT
        ? partitionStartToken(partition + 1)
        : TOKEN_SPACE;
      let start = tokenBoundKey(keySpaceId, maxBigInt(startToken, partitionStartToken(partition)));
      const end = endToken >= partitionEnd
        ? keySpaceEndInPartition(keySpaceId, partition)
        : tokenBoundKey(keySpaceId, endToken);
      if (exclusiveStartKey !== undefined) {
        const after = keySuccessor(exclusiveStartKey);
        if (compareKeys(after, end) >= 0) continue;
        if (compareKeys(after, start) > 0) start = after;
      }
      yield* this.#engine.scan({ start, end, snapshot, views: true });
    }
  }

  /** Takes a storage snapshot for a consistent Query or Scan page. */
  snapshot(): Snapshot {
    return this.#engine.snapshot();
  }

  /** Approximate item count and size of a table, as DynamoDB reports them. */
  statistics(tableId: number): TableStatistics {
    return this.#statistics.get(tableId) ?? { itemCount: 0, sizeBytes: 0 };
  }

  /** Replaces the statistics of a table, for example after counting its items at startup. */
  setStatistics(tableId: number, statistics: TableStatistics): void {
    this.#statistics.set(tableId, statistics);
  }

  /** Counts the entries of a key space and their stored bytes, reading a snapshot. */
  async countKeySpace(keySpaceId: number): Promise<TableStatistics> {
    const statistics = { itemCount: 0, sizeBytes: 0 };
    const snapshot = this.#engine.snapshot();
    try {
      for (let partition = 0; partition < PARTITION_COUNT; partition++) {
        const start = tokenBoundKey(keySpaceId, partitionStartToken(partition));
        const end = keySpaceEndInPartition(keySpaceId, partition);
        for await (const entry of this.#engine.scan({ start, end, snapshot })) {
          statistics.itemCount++;
          statistics.sizeBytes += entry.value.length - 1;
        }
      }
    } finally {
      snapshot.release();
    }
    return statistics;
  }

  /**
   * Deletes every item and index entry of the given key spaces, in bounded batches. Used after
   * DeleteTable; safe to rerun after a crash.
   */
  async purgeKeySpaces(keySpaceIds: readonly number[], batchSize = 512): Promise<number> {
    let deleted = 0;
    for (const keySpaceId of keySpaceIds) {
      for (let partition = 0; partition < PARTITION_COUNT; partition++) {
        const start = tokenBoundKey(keySpaceId, partitionStartToken(partition));
        const end = keySpaceEndInPartition(keySpaceId, partition);
        deleted += await this.#deleteRange(start, end, batchSize);
      }
      this.#statistics.delete(keySpaceId);
    }
    return deleted;
  }

  async #deleteRange(start: Uint8Array, end: Uint8Array, batchSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch: WriteOperation[] = [];
      const snapshot = this.#engine.snapshot();
      try {
        for await (const entry of this.#engine.scan({ start, end, snapshot })) {
          batch.push({ kind: "delete", key: entry.key });
          if (batch.length >= batchSize) break;
        }
      } finally {
        snapshot.release();
      }
      if (batch.length === 0) return deleted;
      await this.#engine.write(batch);
      deleted += batch.length;
    }
  }

  #recordChange(tableId: number, before?: Uint8Array, after?: Uint8Array): void {
    const statistics = this.#statistics.get(tableId) ?? { itemCount: 0, sizeBytes: 0 };
    if (before !== undefined) {
      statistics.itemCount--;
      statistics.sizeBytes -= before.length - 1;
    }
    if (after !== undefined) {
      statistics.itemCount++;
      statistics.sizeBytes += after.length - 1;
    }
    this.#statistics.set(tableId, statistics);
  }
}

/** Storage operations that move a table's index entries from `before` to `after`. */
function indexOperations(
  table: TableDefinition,
  before: Item | undefined,
  after: Item | undefined,
): WriteOperation[] {
  const operations: WriteOperation[] = [];
  for (const index of [...table.localIndexes, ...table.globalIndexes]) {
    const oldKey = before === undefined ? undefined : indexEntryKey(table, index, before);
    const newKey = after === undefined ? undefined : indexEntryKey(table, index, after);
    if (oldKey !== undefined && (newKey === undefined || compareKeys(oldKey, newKey) !== 0)) {
      operations.push({ kind: "delete", key: oldKey });
    }
    if (newKey !== undefined && after !== undefined) {
      const entry = projectForIndex(table, index, after);
      operations.push({ kind: "put", key: newKey, value: encodeItem(entry) });
    }
  }
  return operations;
}

/**
 * Returns the storage key of `item`'s entry in `index`, or undefined when the item lacks an index
 * key attribute (or has one of another type), which makes it absent from that index (a sparse
 * index).
 */
export function indexEntryKey(
  table: TableDefinition,
  index: IndexDefinition,
  item: Item,
): Uint8Array | undefined {
  if (!hasKeyAttributes(index.keySchema, item)) return undefined;
  return concatBytes(
    itemStorageKey(index.indexId, index.keySchema, item),
    tableKeySuffix(table.keySchema, item),
  );
}

/**
 * Returns whether `item` has every key attribute of `schema` with the right type and within
 * DynamoDB's key size limits (2048 bytes for a partition key, 1024 for a sort key). Items that
 * break these limits are left out of an index, as DynamoDB's index backfill leaves them out.
 */
function hasKeyAttributes(schema: KeySchema, item: Item): boolean {
  for (const attribute of [schema.partitionKey, schema.sortKey]) {
    if (attribute === undefined) continue;
    const value = item[attribute.name];
    if (value === undefined || !(attribute.type in value)) return false;
    const maxBytes = attribute === schema.sortKey ? 1024 : 2048;
    if (keyValueSizeBytes(value) > maxBytes) return false;
  }
  return true;
}

/** Returns the attributes of `item` that `index` stores: its projection plus all key attributes. */
export function projectForIndex(table: TableDefinition, index: IndexDefinition, item: Item): Item {
  if (index.projection.type === "ALL") return item;
  const names = new Set<string>([
    table.keySchema.partitionKey.name,
    index.keySchema.partitionKey.name,
  ]);
  if (table.keySchema.sortKey) names.add(table.keySchema.sortKey.name);
  if (index.keySchema.sortKey) names.add(index.keySchema.sortKey.name);
  for (const name of index.projection.nonKeyAttributes ?? []) names.add(name);
  const projected: Item = {};
  for (const name of names) {
    const value = item[name];
    if (value !== undefined) projected[name] = value;
  }
  return projected;
}

function maxBigInt(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** Maps bytes one-to-one onto a string, for use as a Map key. */

export type { Entry };
