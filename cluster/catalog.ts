/**
 * The table catalog: the definition of every table, persisted in the storage engine under the
 * system key prefix and cached in memory.
 *
 * On a single node the catalog lives in the local engine. In a cluster it becomes a replicated
 * system group and every node caches it; it is never on the data request path beyond this cache.
 *
 * Every table gets a numeric `tableId` that prefixes its storage keys. Ids are never reused, so a
 * table created under the name of a deleted one never reads the old table's items while those are
 * still being removed in the background.
 *
 * Storage layout (see `cluster/KEY_FORMAT.md`): `0x00 "table/" <name>` maps to the CBOR-encoded
 * {@linkcode TableDefinition}; `0x00 "meta/next-table-id"` holds the next id as a decimal string;
 * `0x00 "purge/" <id>` (empty value) marks a deleted table's key space whose data is still being
 * removed.
 *
 * @module
 */

import { decode, encode } from "cbor-x";
import type { StorageEngine, WriteOperation } from "../storage/engine.ts";
import { assert } from "../util/assert.ts";

/** Type of a key attribute. */
export type KeyAttributeType = "S" | "N" | "B";

/** A key attribute: its name and type. */
export interface KeyAttribute {
  name: string;
  type: KeyAttributeType;
}

/** The primary key of a table or index. */
export interface KeySchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

/** The attributes an index copies from its table. */
export interface IndexProjection {
  type: "ALL" | "KEYS_ONLY" | "INCLUDE";
  /** For INCLUDE: the non-key attributes copied. */
  nonKeyAttributes?: string[];
}

/** A local or global secondary index. */
export interface IndexDefinition {
  name: string;
  /** Storage key prefix id of the index, allocated like a table id. */
  indexId: number;
  kind: "local" | "global";
  keySchema: KeySchema;
  projection: IndexProjection;
  /** Provisioned throughput of a global index on a provisioned table. */
  provisioned?: ProvisionedThroughput;
  /** Creation time of the index, in milliseconds since the epoch. */
  createdAtMs: number;
  /** True while a global index added by UpdateTable is being filled from existing items. */
  backfilling?: boolean;
}

/** Provisioned capacity settings. */
export interface ProvisionedThroughput {
  readCapacityUnits: number;
  writeCapacityUnits: number;
  lastIncreaseMs?: number;
  lastDecreaseMs?: number;
  decreasesToday: number;
}

/** Lifecycle state as DynamoDB reports it. */
export type TableStatus = "CREATING" | "ACTIVE" | "UPDATING" | "DELETING";

/** Everything the catalog records about one table. */
export interface TableDefinition {
  name: string;
  tableId: number;
  /** The `TableId` DynamoDB reports: a UUID. */
  uuid: string;
  createdAtMs: number;
  status: TableStatus;
  keySchema: KeySchema;
  /** Attribute definitions as given at creation (and by later index changes). */
  attributeDefinitions: KeyAttribute[];
  billingMode: "PROVISIONED" | "PAY_PER_REQUEST";
  provisioned?: ProvisionedThroughput;
  /** When the table last switched to on-demand, in milliseconds since the epoch. */
  payPerRequestSinceMs?: number;
  localIndexes: IndexDefinition[];
  globalIndexes: IndexDefinition[];
  deletionProtection: boolean;
  tableClass: "STANDARD" | "STANDARD_INFREQUENT_ACCESS";
  streamSpecification?: { StreamEnabled: boolean; StreamViewType?: string };
  tags: Record<string, string>;
  /** Time to live: the attribute holding each item's expiry time in epoch seconds. */
  timeToLive?: { attributeName: string; enabled: boolean };
}

const SYSTEM_PREFIX = 0x00;
const TABLE_KEY_PREFIX = "table/";
const NEXT_ID_KEY = "meta/next-table-id";
const PURGE_KEY_PREFIX = "purge/";
/** First id handed out; lower ids are reserved for system use. */
const FIRST_TABLE_ID = 16;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Orders table names by UTF-16 code units; names are ASCII, so this is byte order. */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function systemKey(name: string): Uint8Array {
  const text = textEncoder.encode(name);
  const key = new Uint8Array(text.length + 1);
  key[0] = SYSTEM_PREFIX;
  key.set(text, 1);
  return key;
}

/** The in-memory, write-through cache of all table definitions. */
export class Catalog {
  readonly #engine: StorageEngine;
  readonly #tables = new Map<string, TableDefinition>();
  #nextTableId = FIRST_TABLE_ID;

  private constructor(engine: StorageEngine) {
    this.#engine = engine;
  }

  /** Loads every table definition from `engine`. */
  static async load(engine: StorageEngine): Promise<Catalog> {
    const catalog = new Catalog(engine);
    const start = systemKey(TABLE_KEY_PREFIX);
    const end = systemKey(TABLE_KEY_PREFIX.slice(0, -1) + "0"); // "0" follows "/" in ASCII.
    for await (const entry of engine.scan({ start, end })) {
      const table = decode(entry.value) as TableDefinition;
      catalog.#tables.set(table.name, table);
    }
    const next = await engine.get(systemKey(NEXT_ID_KEY));
    if (next !== undefined) catalog.#nextTableId = Number(textDecoder.decode(next));
    return catalog;
  }

  /** Returns the table named `name`, or undefined. */
  get(name: string): TableDefinition | undefined {
    return this.#tables.get(name);
  }

  /** Returns all table names in ascending order, the order in which DynamoDB lists tables. */
  names(): string[] {
    return [...this.#tables.keys()].sort(compareNames);
  }

  /** Number of tables. */
  get size(): number {
    return this.#tables.size;
  }

  /** Reserves `count` fresh ids for a table and its indexes; durable with the next `put`. */
  allocateIds(count: number): number[] {
    assert(count > 0, "allocateIds needs a positive count");
    const ids = Array.from({ length: count }, (_, index) => this.#nextTableId + index);
    this.#nextTableId += count;
    return ids;
  }

  /** Stores `table` (new or changed) durably, then updates the cache. */
  async put(table: TableDefinition): Promise<void> {
    const operations: WriteOperation[] = [
      { kind: "put", key: systemKey(TABLE_KEY_PREFIX + table.name), value: encode(table) },
      {
        kind: "put",
        key: systemKey(NEXT_ID_KEY),
        value: textEncoder.encode(String(this.#nextTableId)),
      },
    ];
    await this.#engine.write(operations);
    this.#tables.set(table.name, table);
  }

  /**
   * Removes `name` durably, then from the cache. In the same atomic batch it records
   * `keySpaceIds` as pending purge, so that a restart resumes removing their data.
   */
  async remove(name: string, keySpaceIds: readonly number[]): Promise<void> {
    const operations: WriteOperation[] = [
      { kind: "delete", key: systemKey(TABLE_KEY_PREFIX + name) },
    ];
    for (const id of keySpaceIds) {
      operations.push({
        kind: "put",
        key: systemKey(PURGE_KEY_PREFIX + id),
        value: new Uint8Array(),
      });
    }
    await this.#engine.write(operations);
    this.#tables.delete(name);
  }

  /** Key space ids whose data is still to be removed after DeleteTable. */
  async pendingPurges(): Promise<number[]> {
    const ids: number[] = [];
    const start = systemKey(PURGE_KEY_PREFIX);
    const end = systemKey(PURGE_KEY_PREFIX.slice(0, -1) + "0");
    for await (const entry of this.#engine.scan({ start, end })) {
      ids.push(Number(textDecoder.decode(entry.key.subarray(start.length))));
    }
    return ids;
  }

  /** Records that every item of key space `id` has been removed. */
  async finishPurge(id: number): Promise<void> {
    await this.#engine.write([{ kind: "delete", key: systemKey(PURGE_KEY_PREFIX + id) }]);
  }
}
