/**
 * The storage engine: WAL, memtable and commit loop behind the {@linkcode StorageEngine}
 * interface. Runs on the request path of the server process.
 *
 * Write path: `write` validates and queues a batch. One commit loop at a time takes every queued
 * batch (up to {@linkcode MAX_GROUP_BYTES}), encodes them as one WAL record, appends it and, in
 * the "always" sync mode, syncs once for the whole group (group commit). Only then are the
 * versions inserted into the memtable and the group's last sequence number published, so readers
 * never see a batch before it is durable, nor part of one.
 *
 * Failure: a full disk fails the group's batches with a "no-space" error and leaves the log as it
 * was, so later writes may succeed. Any other append or sync failure poisons the engine: every
 * later write fails, because what reached the disk is unknown, and a failed fsync is never
 * retried.
 *
 * Recovery (`open`): replays every WAL segment in file-number order, truncates a torn tail of the
 * last one, and starts a new segment.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import {
  compareKeys,
  type Entry,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  type ScanOptions,
  type Snapshot,
  StorageEngine,
  StorageError,
  type WriteOperation,
} from "./engine.ts";
import type { FileSystem } from "./file_system.ts";
import { fileName, joinPath, parseFileName } from "./file_names.ts";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import { Memtable } from "./memtable.ts";
import { encodedOperationBytes, encodeWalRecord, WAL_SEGMENT_HEADER_BYTES } from "./wal_format.ts";
import { readWalSegment } from "./wal_reader.ts";
import { WalWriter } from "./wal_writer.ts";

/** When a write is acknowledged relative to the WAL sync. */
export type WalSyncMode =
  /** Each commit group is fsynced before its writes resolve. */
  | { mode: "always" }
  /**
   * Writes resolve once their record is handed to the OS, and the WAL is fsynced every
   * `intervalMs`. A process crash loses nothing; a power failure may lose the last interval.
   */
  | { mode: "batch"; intervalMs: number };

/** Options of {@linkcode LsmEngine.open}. */
export interface EngineOptions {
  /** Directory holding the engine's files; created if missing. */
  directory: string;
  fileSystem: FileSystem;
  logger?: Logger;
  walSync?: WalSyncMode;
}

/** A storage engine that also reports statistics. */
export interface Engine extends StorageEngine {
  /** Current counters and gauges; names are stable, units are in the names. */
  stats(): Record<string, number>;
}

/** Upper bound on the encoded operations of one commit group, in bytes. */
export const MAX_GROUP_BYTES = 4 * 1024 * 1024;

interface PendingWrite {
  operations: WriteOperation[];
  encodedBytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

class EngineSnapshot implements Snapshot {
  readonly sequence: number;
  readonly owner: LsmEngine;
  released = false;
  readonly #onRelease: (snapshot: EngineSnapshot) => void;

  constructor(owner: LsmEngine, sequence: number, onRelease: (snapshot: EngineSnapshot) => void) {
    this.owner = owner;
    this.sequence = sequence;
    this.#onRelease = onRelease;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.#onRelease(this);
  }
}

/** LSM storage engine; create with {@linkcode LsmEngine.open}. */
export class LsmEngine implements Engine {
  readonly #fileSystem: FileSystem;
  readonly #directory: string;
  readonly #logger: Logger;
  readonly #syncMode: WalSyncMode;
  #memtable = new Memtable();
  #wal!: WalWriter;
  #nextFileNumber = 1;
  #lastSequence = 0;
  #queue: PendingWrite[] = [];
  #commitLoop?: Promise<void>;
  #poisoned?: StorageError;
  #closed = false;
  #syncTimer?: ReturnType<typeof setInterval>;
  readonly #snapshotCounts = new Map<number, number>();
  readonly #counters = {
    writeBatches: 0,
    writeGroups: 0,
    walSyncs: 0,
    walBytesWritten: 0,
    noSpaceFailures: 0,
  };

  private constructor(options: EngineOptions) {
    this.#fileSystem = options.fileSystem;
    this.#directory = options.directory;
    this.#logger = options.logger ?? silentLogger;
    this.#syncMode = options.walSync ?? { mode: "always" };
  }

  /** Opens (creating if needed) the engine in `options.directory` and recovers its WAL. */
  static async open(options: EngineOptions): Promise<LsmEngine> {
    const engine = new LsmEngine(options);
    await engine.#recover();
    engine.#startSyncTimer();
    return engine;
  }

  async #recover(): Promise<void> {
    await this.#fileSystem.makeDirectory(this.#directory);
    const names = await this.#fileSystem.list(this.#directory);
    const segments = names
      .map((name) => parseFileName(name))
      .filter((parsed) => parsed?.kind === "wal")
      .map((parsed) => parsed!.number)
      .sort((a, b) => a - b);

    let replayedRecords = 0;
    for (const [index, number] of segments.entries()) {
      replayedRecords += await this.#replaySegment(number, index === segments.length - 1);
      this.#nextFileNumber = Math.max(this.#nextFileNumber, number + 1);
    }

    const walPath = this.#path(fileName("wal", this.#nextFileNumber++));
    this.#wal = await WalWriter.create(this.#fileSystem, this.#directory, walPath);
    this.#logger.info("storage.opened", {
      directory: this.#directory,
      walSegments: segments.length,
      replayedRecords,
      lastSequence: this.#lastSequence,
      walSync: this.#syncMode.mode,
    });
  }

  /** Replays one segment into the memtable; returns the number of records applied. */
  async #replaySegment(number: number, isLastSegment: boolean): Promise<number> {
    const path = this.#path(fileName("wal", number));
    const bytes = await this.#fileSystem.readFile(path);
    const contents = readWalSegment(bytes, path, isLastSegment);
    for (const record of contents.records) {
      for (const entry of record.entries) {
        if (entry.sequence <= this.#lastSequence) continue;
        this.#memtable.add(entry);
        this.#lastSequence = entry.sequence;
      }
    }
    if (contents.tornTail) {
      this.#logger.warn("storage.wal_torn_tail_truncated", {
        file: path,
        offset: contents.validEndOffset,
        droppedBytes: bytes.length - contents.validEndOffset,
      });
      if (contents.validEndOffset < WAL_SEGMENT_HEADER_BYTES) {
        await this.#fileSystem.remove(path);
        await this.#fileSystem.syncDirectory(this.#directory);
      } else {
        await this.#fileSystem.truncate(path, contents.validEndOffset);
      }
    }
    return contents.records.length;
  }

  #startSyncTimer(): void {
    if (this.#syncMode.mode !== "batch") return;
    const intervalMs = this.#syncMode.intervalMs;
    assert(intervalMs > 0, `WAL batch sync interval must be positive, got ${intervalMs}`);
    const timer = setInterval(() => void this.#periodicSync(), intervalMs);
    Deno.unrefTimer(timer);
    this.#syncTimer = timer;
  }

  async #periodicSync(): Promise<void> {
    if (this.#poisoned || !this.#wal.hasUnsyncedBytes) return;
    try {
      await this.#wal.sync();
      this.#counters.walSyncs++;
    } catch (error) {
      this.#poison(error);
    }
  }

  #path(name: string): string {
    return joinPath(this.#directory, name);
  }

  // ----- Writes -----

  write(operations: readonly WriteOperation[]): Promise<void> {
    try {
      this.#checkWritable();
      const copied = operations.map(copyValidOperation);
      if (copied.length === 0) return Promise.resolve();
      let encodedBytes = 0;
      for (const operation of copied) encodedBytes += encodedOperationBytes(operation);
      return new Promise((resolve, reject) => {
        this.#queue.push({ operations: copied, encodedBytes, resolve, reject });
        this.#commitLoop ??= this.#runCommitLoop();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #checkWritable(): void {
    if (this.#closed) throw new StorageError("closed", "storage engine is closed");
    if (this.#poisoned) {
      throw new StorageError(
        "poisoned",
        `storage engine rejects writes after an earlier failure: ${this.#poisoned.message}`,
        { file: this.#poisoned.file, offset: this.#poisoned.offset, cause: this.#poisoned },
      );
    }
  }

  async #runCommitLoop(): Promise<void> {
    // Yield once so every write issued in the same tick joins the first group.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const group = this.#takeGroup();
        if (this.#poisoned) {
          for (const pending of group) pending.reject(this.#poisonedError());
          continue;
        }
        await this.#commitGroup(group);
      }
    } finally {
      this.#commitLoop = undefined;
    }
  }

  #takeGroup(): PendingWrite[] {
    let groupBytes = 0;
    let count = 0;
    while (count < this.#queue.length) {
      const bytes = this.#queue[count]!.encodedBytes;
      if (count > 0 && groupBytes + bytes > MAX_GROUP_BYTES) break;
      groupBytes += bytes;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #commitGroup(group: PendingWrite[]): Promise<void> {
    const operations = group.flatMap((pending) => pending.operations);
    const firstSequence = this.#lastSequence + 1;
    const record = encodeWalRecord(firstSequence, operations);
    try {
      await this.#wal.append(record);
      if (this.#syncMode.mode === "always") {
        await this.#wal.sync();
        this.#counters.walSyncs++;
      }
    } catch (error) {
      const failure = this.#classifyWriteFailure(error);
      for (const pending of group) pending.reject(failure);
      return;
    }

    let sequence = firstSequence;
    for (const operation of operations) {
      this.#memtable.add(toInternalEntry(operation, sequence++));
    }
    this.#lastSequence = sequence - 1;
    this.#counters.writeBatches += group.length;
    this.#counters.writeGroups++;
    this.#counters.walBytesWritten += record.length;
    for (const pending of group) pending.resolve();
  }

  /** Returns the error for a failed group: "no-space" stays recoverable, the rest poisons. */
  #classifyWriteFailure(error: unknown): StorageError {
    if (error instanceof StorageError && error.kind === "no-space") {
      this.#counters.noSpaceFailures++;
      this.#logger.warn("storage.write_failed_no_space", { file: error.file, error });
      return error;
    }
    return this.#poison(error);
  }

  #poison(error: unknown): StorageError {
    if (!this.#poisoned) {
      this.#poisoned = error instanceof StorageError
        ? error
        : new StorageError("io", "WAL write failed", { file: this.#wal.path, cause: error });
      this.#logger.error("storage.poisoned", { file: this.#poisoned.file, error: this.#poisoned });
    }
    return this.#poisonedError();
  }

  #poisonedError(): StorageError {
    const cause = this.#poisoned!;
    return new StorageError(
      "poisoned",
      `storage engine rejects writes after an earlier failure: ${cause.message}`,
      { file: cause.file, offset: cause.offset, cause },
    );
  }

  // ----- Reads -----

  snapshot(): Snapshot {
    this.#checkOpen();
    const sequence = this.#lastSequence;
    this.#snapshotCounts.set(sequence, (this.#snapshotCounts.get(sequence) ?? 0) + 1);
    return new EngineSnapshot(this, sequence, (released) => {
      const count = this.#snapshotCounts.get(released.sequence)! - 1;
      if (count === 0) this.#snapshotCounts.delete(released.sequence);
      else this.#snapshotCounts.set(released.sequence, count);
    });
  }

  get(key: Uint8Array, snapshot?: Snapshot): Promise<Uint8Array | undefined> {
    try {
      this.#checkOpen();
      const sequence = this.#readSequence(snapshot);
      const entry = this.#memtable.get(key, sequence);
      const value = entry?.kind === EntryKind.Put ? entry.value.slice() : undefined;
      return Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async *scan(options: ScanOptions = {}): AsyncIterableIterator<Entry> {
    this.#checkOpen();
    const ownSnapshot = options.snapshot ? undefined : this.snapshot();
    const sequence = this.#readSequence(options.snapshot ?? ownSnapshot);
    try {
      const entries = options.reverse
        ? reverseVisible(this.#memtable, options, sequence)
        : forwardVisible(this.#memtable, options, sequence);
      for (const entry of entries) {
        yield { key: entry.userKey.slice(), value: entry.value.slice() };
        this.#checkOpen();
      }
    } finally {
      ownSnapshot?.release();
    }
  }

  #readSequence(snapshot: Snapshot | undefined): number {
    if (snapshot === undefined) return this.#lastSequence;
    if (!(snapshot instanceof EngineSnapshot) || snapshot.owner !== this) {
      throw new StorageError("invalid-argument", "snapshot was not taken from this engine");
    }
    if (snapshot.released) {
      throw new StorageError("invalid-argument", "snapshot was already released");
    }
    return snapshot.sequence;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError("closed", "storage engine is closed");
  }

  // ----- Lifecycle and statistics -----

  async close(): Promise<void> {
    this.#checkOpen();
    this.#closed = true;
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    while (this.#commitLoop) await this.#commitLoop;
    try {
      await this.#wal.close();
    } catch (error) {
      if (!this.#poisoned) throw error;
    }
    this.#logger.info("storage.closed", { directory: this.#directory });
  }

  stats(): Record<string, number> {
    let oldestSnapshotSequence = this.#lastSequence;
    for (const sequence of this.#snapshotCounts.keys()) {
      oldestSnapshotSequence = Math.min(oldestSnapshotSequence, sequence);
    }
    return {
      memtableBytes: this.#memtable.sizeBytes,
      memtableEntries: this.#memtable.entryCount,
      lastSequence: this.#lastSequence,
      walSegmentBytes: this.#wal.sizeBytes,
      liveSnapshots: [...this.#snapshotCounts.values()].reduce((sum, count) => sum + count, 0),
      oldestSnapshotSequence,
      poisoned: this.#poisoned ? 1 : 0,
      ...this.#counters,
    };
  }
}

function copyValidOperation(operation: WriteOperation): WriteOperation {
  if (!(operation.key instanceof Uint8Array)) {
    throw new StorageError("invalid-argument", "write operation key must be a Uint8Array");
  }
  if (operation.key.length > MAX_KEY_BYTES) {
    throw new StorageError(
      "invalid-argument",
      `key of ${operation.key.length} bytes exceeds the maximum of ${MAX_KEY_BYTES}`,
    );
  }
  if (operation.kind === "delete") return { kind: "delete", key: operation.key.slice() };
  if (operation.kind !== "put" || !(operation.value instanceof Uint8Array)) {
    throw new StorageError(
      "invalid-argument",
      "write operation must be a put with a value or a delete",
    );
  }
  if (operation.value.length > MAX_VALUE_BYTES) {
    throw new StorageError(
      "invalid-argument",
      `value of ${operation.value.length} bytes exceeds the maximum of ${MAX_VALUE_BYTES}`,
    );
  }
  return { kind: "put", key: operation.key.slice(), value: operation.value.slice() };
}

function toInternalEntry(operation: WriteOperation, sequence: number): InternalEntry {
  return operation.kind === "put"
    ? { userKey: operation.key, sequence, kind: EntryKind.Put, value: operation.value }
    : { userKey: operation.key, sequence, kind: EntryKind.Delete, value: new Uint8Array(0) };
}

/** Yields the newest visible version of each key in [start, end), skipping tombstones. */
function* forwardVisible(memtable: Memtable, options: ScanOptions, sequence: number) {
  let decidedKey: Uint8Array | undefined;
  for (const entry of memtable.entries({ startUserKey: options.start })) {
    if (options.end && compareKeys(entry.userKey, options.end) >= 0) return;
    if (entry.sequence > sequence) continue;
    if (decidedKey && compareKeys(entry.userKey, decidedKey) === 0) continue;
    decidedKey = entry.userKey;
    if (entry.kind === EntryKind.Put) yield entry;
  }
}

/**
 * Yields the newest visible version of each key in [start, end) in descending key order. Walking
 * backwards meets a key's versions oldest first, so a key is decided when the next key begins.
 */
function* reverseVisible(memtable: Memtable, options: ScanOptions, sequence: number) {
  let pending: InternalEntry | undefined;
  for (const entry of memtable.entries({ endUserKey: options.end, reverse: true })) {
    if (pending && compareKeys(entry.userKey, pending.userKey) !== 0) {
      if (pending.kind === EntryKind.Put) yield pending;
      pending = undefined;
    }
    if (options.start && compareKeys(entry.userKey, options.start) < 0) return;
    if (entry.sequence <= sequence) pending = entry;
  }
  if (pending?.kind === EntryKind.Put) yield pending;
}
