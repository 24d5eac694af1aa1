/**
 * Wires a node together: opens the database, resumes background work (index backfills and table
 * purges), and builds the HTTP application that serves the DynamoDB API.
 *
 * @module
 */

import type { Hono } from "hono";
import { Database, type WalSyncMode } from "../cluster/database.ts";
import type { Logger } from "../util/logger.ts";
import { createApp, type ServerOptions } from "./server.ts";
import type { OperationContext } from "./operations/context.ts";
import { backfillIndex } from "./operations/index_backfill.ts";
import { sweepExpiredItems } from "./operations/time_to_live.ts";

/** A running node's API service. */
export interface Service {
  app: Hono;
  database: Database;
  /** Closes the database; call after the HTTP server has stopped. */
  close(): Promise<void>;
}

/** Opens the database in `dataDirectory` and creates the API application. */
export async function startService(options: {
  dataDirectory: string;
  logger: Logger;
  walSync?: WalSyncMode;
  memtableSizeBytes?: number;
  blockCacheSizeBytes?: number;
  /** See {@linkcode ServerOptions.onAssertionFailure}. */
  onAssertionFailure?: ServerOptions["onAssertionFailure"];
}): Promise<Service> {
  const database = await Database.open({
    dataDirectory: options.dataDirectory,
    logger: options.logger,
    walSync: options.walSync,
    memtableSizeBytes: options.memtableSizeBytes,
    blockCacheSizeBytes: options.blockCacheSizeBytes,
  });
  const requestLogger = options.logger.child({ component: "api" });
  const createContext = (requestId: string, host: string): OperationContext => ({
    requestId,
    host,
    catalog: database.catalog,
    items: database.items,
    logger: requestLogger,
    purgeKeySpaces: (ids) => database.purgeKeySpaces(ids),
  });

  const backgroundContext = createContext("background", "localhost");
  for (const name of database.catalog.names()) {
    const table = database.catalog.get(name)!;
    for (const index of table.globalIndexes) {
      if (index.backfilling) backfillIndex(backgroundContext, table.name, index.name);
    }
  }

  const sweeper = startTimeToLiveSweeper(backgroundContext, options.logger);
  const app = createApp({
    createContext,
    logger: requestLogger,
    onAssertionFailure: options.onAssertionFailure,
  });
  return {
    app,
    database,
    close: async () => {
      await sweeper.stop();
      await database.close();
    },
  };
}

/** Interval between sweeps for expired items. */
const TTL_SWEEP_INTERVAL_MS = 30_000;

/** Runs {@linkcode sweepExpiredItems} every {@linkcode TTL_SWEEP_INTERVAL_MS}, one at a time. */
function startTimeToLiveSweeper(
  context: OperationContext,
  logger: Logger,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = sweepExpiredItems(context, Date.now() / 1000)
      .then((deleted) => {
        if (deleted > 0) logger.info("ttl.swept", { itemsDeleted: deleted });
      })
      .catch((error) => logger.error("ttl.sweep_failed", { error }))
      .finally(() => (running = undefined));
  }, TTL_SWEEP_INTERVAL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
