/**
 * Fills a global secondary index added by UpdateTable from the table's existing items.
 *
 * Each item is rewritten unchanged through the item store, which holds the item's key lock and
 * writes the item's index entries in the same batch, so a concurrent write is never indexed from
 * a stale image. When every partition has been visited the index is marked ACTIVE in the catalog.
 * A restart resumes unfinished backfills from the beginning (rewriting an item twice is harmless).
 *
 * @module
 */

import { TOKEN_SPACE } from "../../cluster/key_layout.ts";
import { decodeItem } from "../../cluster/item_codec.ts";
import type { OperationContext } from "./context.ts";

/** Runs the backfill of `indexName` on `tableName` in the background; never throws. */
export async function backfillIndex(
  context: OperationContext,
  tableName: string,
  indexName: string,
): Promise<void> {
  const logger = context.logger.child({ table: tableName, index: indexName });
  try {
    logger.info("index.backfill_started");
    let rewritten = 0;
    const initial = context.catalog.get(tableName);
    if (initial === undefined) return;
    const snapshot = context.items.snapshot();
    try {
      for await (
        const entry of context.items.scanTokens(initial.tableId, 0n, TOKEN_SPACE, snapshot)
      ) {
        const item = decodeItem(entry.value);
        const table = context.catalog.get(tableName);
        if (table === undefined || table.tableId !== initial.tableId) return;
        await context.items.write(
          table,
          item,
          (current) => ({ item: current ?? undefined, result: null }),
        );
        rewritten++;
      }
    } finally {
      snapshot.release();
    }
    const table = context.catalog.get(tableName);
    const index = table?.globalIndexes.find((candidate) => candidate.name === indexName);
    if (table === undefined || index === undefined) return;
    const updated = structuredClone(table);
    for (const candidate of updated.globalIndexes) {
      if (candidate.name === indexName) candidate.backfilling = false;
    }
    await context.catalog.put(updated);
    logger.info("index.backfill_finished", { itemsRewritten: rewritten });
  } catch (error) {
    logger.error("index.backfill_failed", { error });
  }
}
