/**
 * Creating and opening table files for the engine: memtable flushes write a table here, and
 * compaction outputs are opened as live tables here (`FORMAT.md`, "SSTable").
 *
 * A table is written under its final name `NNNNNN.sst`, synced by the writer, and the directory
 * is synced before the manifest may name it. If the engine stops before the manifest names the
 * table, recovery removes the file as an orphan.
 *
 * Runs in the background flush task, off the request path: it yields to the event loop every
 * {@linkcode FLUSH_YIELD_EVERY_BYTES} of input.
 *
 * @module
 */

import type { BlockCache } from "./block_cache.ts";
import type { CompactionPacer } from "./compaction.ts";
import type { FileSystem } from "./file_system.ts";
import { fileName, joinPath } from "./file_names.ts";
import type { InternalEntry } from "./internal_key.ts";
import { LiveTable } from "./live_table.ts";
import { SstableReader } from "./sstable_reader.ts";
import { SstableWriter, type SstableWriterOptions } from "./sstable_writer.ts";

/** Input bytes a flush processes between yields to the event loop. */
export const FLUSH_YIELD_EVERY_BYTES = 64 * 1024;

/** Directory, file system, cache and settings for writing and reading tables. */
export interface TableContext {
  fileSystem: FileSystem;
  directory: string;
  cache: BlockCache;
  writerOptions: SstableWriterOptions;
  pacer: CompactionPacer;
}

/** Returns the path of table `fileNumber`. */
export function tablePath(context: TableContext, fileNumber: number): string {
  return joinPath(context.directory, fileName("sstable", fileNumber));
}

/**
 * Writes `entries` (in internal-key order, at least one) as table `fileNumber`, syncs it and its
 * directory, and opens it. On failure the partial file is removed and the error rethrown.
 */
export async function writeTable(
  context: TableContext,
  fileNumber: number,
  entries: Iterable<InternalEntry>,
): Promise<LiveTable> {
  const path = tablePath(context, fileNumber);
  const file = await context.fileSystem.openWritable(path, { truncate: true });
  try {
    const writer = await SstableWriter.create(file, context.writerOptions);
    let bytesSinceYield = 0;
    for (const entry of entries) {
      await writer.add(entry);
      bytesSinceYield += entry.userKey.length + entry.value.length;
      if (bytesSinceYield >= FLUSH_YIELD_EVERY_BYTES) {
        bytesSinceYield = 0;
        await context.pacer.sleep(0);
      }
    }
    await writer.finish();
  } catch (error) {
    await file.close().catch(() => {});
    await context.fileSystem.remove(path).catch(() => {});
    throw error;
  }
  await file.close();
  await context.fileSystem.syncDirectory(context.directory);
  return await openTable(context, fileNumber);
}

/** Opens table `fileNumber` for reading through the shared block cache. */
export async function openTable(context: TableContext, fileNumber: number): Promise<LiveTable> {
  const path = tablePath(context, fileNumber);
  const file = await context.fileSystem.openReadable(path);
  try {
    const reader = await SstableReader.open(file, {
      fileName: path,
      fileNumber,
      cache: context.cache,
    });
    return new LiveTable(fileNumber, path, reader);
  } catch (error) {
    await file.close();
    throw error;
  }
}
