/**
 * Opening an engine directory: read the manifest, remove files a crash left behind, open the live
 * tables and replay the WAL segments that hold unflushed writes (`FORMAT.md`, "Recovery").
 *
 * Orphans are tables not named by the manifest (an interrupted flush or compaction), temporary
 * files, and WAL segments numbered below the manifest's log number (already flushed). They are
 * removed before anything new is written, so a reused file number never meets a stale file.
 *
 * Runs once per open, before the engine accepts requests.
 *
 * @module
 */

import type { Logger } from "../util/logger.ts";
import { StorageError } from "./engine.ts";
import { fileName, joinPath, MANIFEST_TEMPORARY_FILE_NAME, parseFileName } from "./file_names.ts";
import { compareNewestFirst, type LiveTable } from "./live_table.ts";
import { emptyManifest, type ManifestState, readManifest } from "./manifest.ts";
import { Memtable } from "./memtable.ts";
import { openTable, type TableContext } from "./table_store.ts";
import { WAL_SEGMENT_HEADER_BYTES } from "./wal_format.ts";
import { readWalSegment } from "./wal_reader.ts";

/** State recovered by {@linkcode recoverDirectory}. */
export interface RecoveredState {
  manifest: ManifestState;
  /** Live tables, newest data first. */
  tables: LiveTable[];
  /** Writes replayed from the WAL. */
  memtable: Memtable;
  lastSequence: number;
  /** Smallest file number not used by any file in the directory or the manifest. */
  nextFileNumber: number;
  /** WAL segments kept because they hold the memtable's writes. */
  walSegmentNumbers: number[];
  replayedRecords: number;
}

/** Context of a recovery: where the tables are, where to log, and how to make a memtable. */
export interface RecoveryContext extends TableContext {
  logger: Logger;
  /** Creates the memtable the WAL is replayed into; a plain one when absent. */
  newMemtable?: () => Memtable;
}

/** Recovers the state of `context.directory`; see the module documentation. */
export async function recoverDirectory(context: RecoveryContext): Promise<RecoveredState> {
  const { fileSystem, directory } = context;
  await fileSystem.makeDirectory(directory);
  const manifest = await readManifest(fileSystem, directory) ?? emptyManifest();
  const names = await fileSystem.list(directory);
  const liveTableNumbers = new Set(manifest.tables.map((table) => table.fileNumber));

  let nextFileNumber = manifest.nextFileNumber;
  const walSegmentNumbers: number[] = [];
  let removedCount = 0;
  for (const name of names) {
    const parsed = parseFileName(name);
    if (parsed) nextFileNumber = Math.max(nextFileNumber, parsed.number + 1);
    const orphan = name === MANIFEST_TEMPORARY_FILE_NAME ||
      parsed?.kind === "temporary" ||
      (parsed?.kind === "sstable" && !liveTableNumbers.has(parsed.number)) ||
      (parsed?.kind === "wal" && parsed.number < manifest.logNumber);
    if (orphan) {
      await fileSystem.remove(joinPath(directory, name));
      context.logger.info("storage.orphan_removed", { file: joinPath(directory, name) });
      removedCount++;
    } else if (parsed?.kind === "wal") {
      walSegmentNumbers.push(parsed.number);
    }
  }
  if (removedCount > 0) await fileSystem.syncDirectory(directory);

  const tables = await openTables(context, manifest);
  const memtable = context.newMemtable?.() ?? new Memtable();
  walSegmentNumbers.sort((a, b) => a - b);
  const replay = { lastSequence: manifest.lastSequence, replayedRecords: 0 };
  for (const [index, number] of walSegmentNumbers.entries()) {
    const isLast = index === walSegmentNumbers.length - 1;
    await replaySegment(context, number, isLast, memtable, replay);
  }
  const keptSegments = [];
  for (const number of walSegmentNumbers) {
    if (await fileSystem.exists(joinPath(directory, fileName("wal", number)))) {
      keptSegments.push(number);
    }
  }
  return {
    manifest,
    tables,
    memtable,
    lastSequence: replay.lastSequence,
    nextFileNumber,
    walSegmentNumbers: keptSegments,
    replayedRecords: replay.replayedRecords,
  };
}

async function openTables(context: RecoveryContext, manifest: ManifestState): Promise<LiveTable[]> {
  const tables: LiveTable[] = [];
  try {
    for (const { fileNumber, fileSizeBytes } of manifest.tables) {
      const table = await openTable(context, fileNumber);
      tables.push(table);
      if (table.sizeBytes !== fileSizeBytes) {
        throw new StorageError(
          "corruption",
          `table ${table.path} is ${table.sizeBytes} bytes but the manifest records ${fileSizeBytes}`,
          { file: table.path },
        );
      }
    }
  } catch (error) {
    for (const table of tables) table.release();
    throw error;
  }
  return tables.sort(compareNewestFirst);
}

/** Replays one segment into `memtable`, skipping versions the tables already hold. */
async function replaySegment(
  context: RecoveryContext,
  number: number,
  isLastSegment: boolean,
  memtable: Memtable,
  replay: { lastSequence: number; replayedRecords: number },
): Promise<void> {
  const { fileSystem, directory } = context;
  const path = joinPath(directory, fileName("wal", number));
  const bytes = await fileSystem.readFile(path);
  const contents = readWalSegment(bytes, path, isLastSegment);
  for (const record of contents.records) {
    for (const entry of record.entries) {
      if (entry.sequence <= replay.lastSequence) continue;
      memtable.add(entry);
      replay.lastSequence = entry.sequence;
    }
  }
  replay.replayedRecords += contents.records.length;
  if (!contents.tornTail) return;

  context.logger.warn("storage.wal_torn_tail_truncated", {
    file: path,
    offset: contents.validEndOffset,
    droppedBytes: bytes.length - contents.validEndOffset,
  });
  if (contents.validEndOffset < WAL_SEGMENT_HEADER_BYTES) {
    await fileSystem.remove(path);
    await fileSystem.syncDirectory(directory);
  } else {
    await fileSystem.truncate(path, contents.validEndOffset);
  }
}
