/**
 * One node's database: the storage engine, the table catalog and the item store, opened together
 * from a data directory and closed together.
 *
 * Data directory layout: `<data>/storage/` contains the storage engine's files (see
 * `storage/FORMAT.md`). Everything else (catalog, items, indexes) lives inside the engine.
 *
 * @module
 */

import { openEngine } from "../storage/mod.ts";
import type { StorageEngine } from "../storage/engine.ts";
import type { Logger } from "../util/logger.ts";
import { Catalog } from "./catalog.ts";
import { ItemStore } from "./item_store.ts";

/** The WAL sync mode: on every batch, or on a timer that acknowledges writes before the sync. */
export type WalSyncMode = { mode: "always" } | { mode: "batch"; intervalMs: number };

/** Options of {@linkcode Database.open}. */
export interface DatabaseOptions {
  dataDirectory: string;
  logger: Logger;
  walSync?: WalSyncMode;
  /** Memtable size at which the storage engine flushes, in bytes. */
  memtableSizeBytes?: number;
  /** Capacity of the storage engine's block cache, in bytes. */
  blockCacheSizeBytes?: number;
}

/** A node's open database. */
export class Database {
  readonly engine: StorageEngine;
  readonly catalog: Catalog;
  readonly items: ItemStore;
  readonly #logger: Logger;
  /** Background tasks (purges, statistics) that `close` waits for. */
  readonly #backgroundTasks = new Set<Promise<void>>();
  #closing = false;

  private constructor(engine: StorageEngine, catalog: Catalog, logger: Logger) {
    this.engine = engine;
    this.catalog = catalog;
    this.items = new ItemStore(engine);
    this.#logger = logger;
  }

  /** Opens (or creates) the database in `options.dataDirectory` and resumes pending purges. */
  static async open(options: DatabaseOptions): Promise<Database> {
    const engine = await openEngine({
      directory: `${options.dataDirectory}/storage`,
      logger: options.logger.child({ component: "storage" }),
      walSync: options.walSync,
      memtableSizeBytes: options.memtableSizeBytes,
      blockCacheSizeBytes: options.blockCacheSizeBytes,
    });
    const catalog = await Catalog.load(engine);
    const database = new Database(engine, catalog, options.logger);
    const pending = await catalog.pendingPurges();
    if (pending.length > 0) database.purgeKeySpaces(pending);
    database.#track(database.#recountStatistics());
    return database;
  }

  /**
   * Counts the items and bytes of every table in the background, because the statistics
   * DescribeTable reports are kept in memory only. Writes that race with the count can leave the
   * figures slightly off; DynamoDB's own figures are approximate too (refreshed every few hours).
   */
  async #recountStatistics(): Promise<void> {
    for (const name of this.catalog.names()) {
      const table = this.catalog.get(name);
      if (table === undefined || this.#closing) continue;
      try {
        this.items.setStatistics(table.tableId, await this.items.countKeySpace(table.tableId));
      } catch (error) {
        if (!this.#closing) this.#logger.error("table.count_failed", { table: name, error });
      }
    }
  }

  #track(work: Promise<void>): void {
    this.#backgroundTasks.add(work);
    work.finally(() => this.#backgroundTasks.delete(work));
  }

  /**
   * Removes the data of deleted tables or indexes in the background. Each key space is marked done
   * in the catalog once empty; a restart resumes unfinished ones.
   */
  purgeKeySpaces(keySpaceIds: number[]): void {
    const purge = (async () => {
      for (const id of keySpaceIds) {
        if (this.#closing) return;
        try {
          const deleted = await this.items.purgeKeySpaces([id]);
          await this.catalog.finishPurge(id);
          this.#logger.info("table.purged", { keySpaceId: id, entriesDeleted: deleted });
        } catch (error) {
          if (!this.#closing) this.#logger.error("table.purge_failed", { keySpaceId: id, error });
        }
      }
    })();
    this.#track(purge);
  }

  /** Waits for background purges to stop, then closes the engine. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#backgroundTasks]);
    await this.engine.close();
  }
}
