/**
 * Wires a node together: opens the database, resumes background work (index backfills and table
 * purges), and builds the protocol handler that serves the DynamoDB API over either transport.
 *
 * @module
 */

import { Database, type WalSyncMode } from "../cluster/database.ts";
import type { Logger } from "../util/logger.ts";
import { createProtocolHandler, type ProtocolHandler, type ProtocolOptions } from "./protocol.ts";
import type { OperationContext } from "./operations/context.ts";
import { backfillIndex } from "./operations/index_backfill.ts";
import { sweepExpiredItems } from "./operations/time_to_live.ts";

/** A running node's API service. */
export interface Service {
  /** Serves one request; give it to `Http1Server` or to the Hono app of `server.ts`. */
  handler: ProtocolHandler;
  database: Database;
  /** Closes the database; call after the HTTP server has stopped. */
  close(): Promise<void>;
}

/** Opens the database in `dataDirectory` and creates the API's protocol handler. */
export async function startService(options: {
  dataDirectory: string;
  logger: Logger;
  walSync?: WalSyncMode;
  memtableSizeBytes?: number;
  blockCacheSizeBytes?: number;
  /** See {@linkcode ProtocolOptions.onAssertionFailure}. */
  onAssertionFailure?: ProtocolOptions["onAssertionFailure"];
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
  const handler = createProtocolHandler({
    createContext,
    logger: requestLogger,
    onAssertionFailure: options.onAssertionFailure,
  });
  return {
    handler,
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
