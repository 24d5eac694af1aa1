/**
 * The LSM storage engine behind the {@linkcode StorageEngine} interface: WAL, memtables,
 * SSTables, manifest, background flush and size-tiered compaction. Runs on the server's main
 * thread; flushes and compactions are background tasks that yield to the event loop regularly.
 *
 * Write path: `write` validates and queues a batch. One commit loop at a time makes room (freezes
 * a full memtable, or stalls while too many frozen memtables wait for a flush), takes every
 * queued batch up to {@linkcode MAX_GROUP_BYTES}, appends them as one WAL record and, in the
 * "always" sync mode, syncs once for the whole group. Only then are the versions inserted into the
 * memtable and the group's last sequence published, so readers never see part of a batch.
 * Up to {@linkcode MAX_GROUPS_IN_FLIGHT} groups are appended and syncing at once, so the next
 * group's sync starts without waiting for the event loop to notice the previous one's end. Groups
 * are still applied and acknowledged strictly in sequence order, and the pipeline is drained
 * before the memtable is frozen, so a frozen memtable contains every write of the segments before it.
 *
 * Read path: memtables newest first, then tables by max sequence descending. Tables picked by
 * size-tiered compaction need not be adjacent in age, so a point lookup keeps the newest hit and
 * stops only when the next table's max sequence is at or below it. A lookup hashes its key once
 * and probes every memtable's and table's bloom filter with that hash. Scans merge, at one
 * snapshot sequence, the memtables and the tables whose key range overlaps the scanned range.
 *
 * Background: a frozen memtable is written to a table, the manifest edit names it and advances
 * the WAL log number, and older segments are deleted. Compaction merges a size tier into new
 * tables and swaps them in with one manifest edit. Two space amplification rules merge every
 * table into one instead. The first fires as soon as the tables other than the largest outgrow a
 * percentage of it. The second uses a lower percentage and fires once no write has arrived for a
 * while, so disk use returns near the live data size after overwrites and deletes. Manifest edits
 * are serialised.
 *
 * Failure: a full disk fails the affected write (or delays the background task) and leaves every
 * file valid. Any other failure of a WAL append, a sync, a flush or a manifest edit poisons the
 * engine: all later writes fail and no fsync is retried. A checksum mismatch fails the read with a
 * "corruption" StorageError naming the file and offset, and is logged.
 *
 * Memory: at most (1 + maxFrozenMemtables) memtables, plus the block cache capacity. The cache
 * bounds the cached data blocks, index partitions and filter partitions together with what open
 * tables pin, which is their properties and partition indexes (see `sstable_reader.ts`). The
 * pinned part grows with the data by one partition index entry per 60 KB to 1.3 MB, depending
 * on the entry size, and only if it alone exceeded the capacity would memory pass it. `stats().accountedMemoryBytes` is the
 * sum of these charges.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import { BlockCache } from "./block_cache.ts";
import { type BloomHash, bloomHash } from "./bloom_filter.ts";
import {
  bucketTables,
  type CompactionPacer,
  DEFAULT_MAX_SIZE_AMPLIFICATION_PERCENT,
  pickCompaction,
  pickSizeAmplificationCompaction,
  realTimePacer,
  runCompaction,
  type SizeTieredOptions,
  tombstoneDropPredicate,
} from "./compaction.ts";
import type { Entry, ScanOptions, Snapshot, StorageEngine, WriteOperation } from "./engine.ts";
import { compareKeys, StorageError } from "./engine.ts";
import type { FileSystem } from "./file_system.ts";
import { fileName, joinPath } from "./file_names.ts";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import { compareNewestFirst, type LiveTable } from "./live_table.ts";
import { ManifestCommitError, type ManifestState, writeManifest } from "./manifest.ts";
import { Memtable } from "./memtable.ts";
import { mergeVisible, mergeVisibleSync } from "./merge_iterator.ts";
import { recoverDirectory } from "./recovery.ts";
import { type Hasher, loadHasher, type SstableProperties } from "./sstable_format.ts";
import type { SstableWriterOptions } from "./sstable_writer.ts";
import { openTable, type TableContext, tablePath, writeTable } from "./table_store.ts";
import { encodeWalRecord } from "./wal_format.ts";
import { WalWriter } from "./wal_writer.ts";
import { copyValidOperation, type PendingWrite, takeGroup } from "./write_batch.ts";

export { MAX_GROUP_BYTES } from "./write_batch.ts";

/** When a write is acknowledged relative to the WAL sync. */
export type WalSyncMode =
  /** Each commit group is fsynced before its writes resolve. */
  | { mode: "always" }
  /**
   * Writes resolve once their record is handed to the OS, and the WAL is fsynced every
   * `intervalMs`. A process crash loses nothing; a power failure may lose the last interval.
   */
  | { mode: "batch"; intervalMs: number };

/** Compaction settings: size-tiered picking, the space amplification rules, and pacing. */
export interface CompactionSettings extends SizeTieredOptions {
  /** Run compactions at all (default true). */
  enabled?: boolean;
  /** Maximum compaction output rate in bytes per second; unlimited when absent. */
  rateLimitBytesPerSecond?: number;
  /**
   * An output table is finished past this size; one table per compaction when absent. When set,
   * both space amplification rules are off, because the split outputs of a full compaction would
   * count as amplification and start the next full compaction at once.
   */
  targetFileSizeBytes?: number;
  /**
   * Every table is merged into one once the tables other than the largest hold more than this
   * percentage of the largest's bytes (default 100, so tables stay below twice the largest).
   */
  maxSizeAmplificationPercent?: number;
  /** Time without writes after which the store counts as idle; 0 disables the idle rule. */
  idleCompactionDelayMs?: number;
  /**
   * While idle, every table is merged into one once the others hold more than this percentage of
   * the largest's bytes (default 10). The floor keeps a large store from being rewritten whole
   * for a small new table.
   */
  idleSizeAmplificationPercent?: number;
}

/** Options of {@linkcode LsmEngine.open}. */
export interface EngineOptions {
  /** Directory holding the engine's files; created if missing. */
  directory: string;
  fileSystem: FileSystem;
  logger?: Logger;
  walSync?: WalSyncMode;
  /** A memtable is frozen and flushed once its estimated size reaches this many bytes. */
  memtableSizeBytes?: number;
  /** Frozen memtables allowed to wait for a flush before writers stall. */
  maxFrozenMemtables?: number;
  /** A stalled write fails after waiting this long for a flush. */
  writeStallTimeoutMs?: number;
  /** Capacity of the shared data block cache. */
  blockCacheSizeBytes?: number;
  sstable?: SstableWriterOptions;
  compaction?: CompactionSettings;
  /** Interval between `storage.stats` log lines; 0 disables them. */
  statsLogIntervalMs?: number;
  /** Delay before a background task retries after a full disk. */
  backgroundRetryDelayMs?: number;
  /** Clock and sleep for background pacing. */
  pacer?: CompactionPacer;
}

/** A storage engine that also reports statistics. */
export interface Engine extends StorageEngine {
  /** Current counters and gauges; names are stable, units are in the names. */
  stats(): Record<string, number>;
  /** Resolves once no flush or compaction is running or due. For tests and benchmarks. */
  waitForBackgroundWork(): Promise<void>;
}

/**
 * Commit groups that may be appended and waiting for their sync at once. Two overlapping
 * `fdatasync` calls took about 160 us per group against 230 us for one at a time, with 8 KB
 * groups on this project's 2-core test VM; three did no better.
 */
export const MAX_GROUPS_IN_FLIGHT = 2;

/**
 * A scan reads each overlapping table's range whole (and merges without promises) when at most
 * this many tables overlap it and each holds the range in at most
 * {@linkcode SHORT_SCAN_BLOCKS_MAX} data blocks.
 */
const SHORT_SCAN_TABLES_MAX = 8;
const SHORT_SCAN_BLOCKS_MAX = 4;

/** Returned by a synchronous table lookup that needs a block the cache does not have. */
const BLOCK_NOT_CACHED = Symbol("block not cached");

/** Default memtable size that triggers a flush. */
export const DEFAULT_MEMTABLE_SIZE_BYTES = 64 * 1024 * 1024;
/** Default frozen memtables before writes stall; memory stays below (1 + this) memtables. */
export const DEFAULT_MAX_FROZEN_MEMTABLES = 2;
/** Default bound on a write stall. */
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 60_000;
/** Default block cache capacity. */
export const DEFAULT_BLOCK_CACHE_SIZE_BYTES = 64 * 1024 * 1024;
/** Default interval of statistics log lines. */
export const DEFAULT_STATS_LOG_INTERVAL_MS = 60_000;
/** Default delay before retrying a flush or compaction that hit a full disk. */
export const DEFAULT_BACKGROUND_RETRY_DELAY_MS = 1_000;
/** Default time without writes before the idle space amplification rule applies. */
export const DEFAULT_IDLE_COMPACTION_DELAY_MS = 5_000;
/** Default space amplification percentage that the idle rule tolerates. */
export const DEFAULT_IDLE_SIZE_AMPLIFICATION_PERCENT = 10;
/** Maximum interval between two checks of the idle rule. */
const IDLE_CHECK_INTERVAL_MAX_MS = 1_000;

/** A table a point lookup must visit, and whether its bloom filter was consulted already. */
interface TableCandidate {
  table: LiveTable;
  filterChecked: boolean;
}

/** Rule that picked a compaction, for logs and counters. */
type CompactionReason = "size-tiered" | "size-amplification" | "idle";

/** A frozen memtable; WAL segments numbered below `nextLogNumber` hold all of its writes. */
interface FrozenMemtable {
  memtable: Memtable;
  nextLogNumber: number;
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

/** True when a table's user keys may fall in the half-open range [start, end). */
function overlapsRange(
  properties: SstableProperties,
  start: Uint8Array | undefined,
  end: Uint8Array | undefined,
): boolean {
  if (start !== undefined && compareKeys(properties.largest.userKey, start) < 0) return false;
  if (end !== undefined && compareKeys(properties.smallest.userKey, end) >= 0) return false;
  return true;
}

function isNoSpace(error: unknown): error is StorageError {
  return error instanceof StorageError && error.kind === "no-space";
}

/** LSM storage engine; create with {@linkcode LsmEngine.open}. */
/** A commit group whose WAL record is appended and whose sync may still be running. */
interface InFlightGroup {
  group: PendingWrite[];
  /** Versions of the group, with their sequence numbers assigned. */
  entries: InternalEntry[];
  recordBytes: number;
  /** Resolves once the record is durable (at once without per-group syncs). */
  durable: Promise<void>;
  /** Whether `durable` has settled. */
  settled: boolean;
}

export class LsmEngine implements Engine {
  readonly #fileSystem: FileSystem;
  readonly #directory: string;
  readonly #logger: Logger;
  readonly #syncMode: WalSyncMode;
  readonly #memtableSizeBytes: number;
  readonly #maxFrozenMemtables: number;
  readonly #writeStallTimeoutMs: number;
  readonly #backgroundRetryDelayMs: number;
  readonly #compaction: CompactionSettings;
  readonly #statsLogIntervalMs: number;
  readonly #cache: BlockCache;
  readonly #tableContext: TableContext;
  #hasher!: Hasher;

  #active!: Memtable;
  /** Newest first. */
  #frozen: FrozenMemtable[] = [];
  /** Newest data first; replaced, never mutated, so a reader can hold on to one array. */
  #tables: LiveTable[] = [];
  #manifest!: ManifestState;
  #wal!: WalWriter;
  #walSegmentNumbers: number[] = [];
  #nextFileNumber = 1;
  #lastSequence = 0;
  /** Pacer time of the last committed write group, or of the open; drives the idle rule. */
  #lastWriteMs = 0;

  #queue: PendingWrite[] = [];
  /** Appended groups waiting for their sync, oldest first. */
  #inFlight: InFlightGroup[] = [];
  /** Last sequence given to an appended group; ahead of `#lastSequence` while groups sync. */
  #assignedSequence = 0;
  /** Wakes the commit loop while it waits for a sync and there is room for another group. */
  #onQueued?: () => void;
  #commitLoop?: Promise<void>;
  #poisoned?: StorageError;
  #closed = false;
  #flushTask?: Promise<void>;
  #compactionTask?: Promise<void>;
  #compactionError?: unknown;
  readonly #stopSignal = new AbortController();
  #manifestLock: Promise<unknown> = Promise.resolve();
  #progressWaiters: (() => void)[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  readonly #snapshotCounts = new Map<number, number>();
  readonly #counters = {
    writeBatches: 0,
    writeGroups: 0,
    userBytesWritten: 0,
    walBytesWritten: 0,
    walSyncs: 0,
    noSpaceFailures: 0,
    writeStalls: 0,
    writeStallMs: 0,
    flushes: 0,
    bytesFlushed: 0,
    compactions: 0,
    sizeAmplificationCompactions: 0,
    idleCompactions: 0,
    compactionFailures: 0,
    bytesCompactedRead: 0,
    bytesCompactedWritten: 0,
    bloomFilterSkips: 0,
    tableLookups: 0,
    scanTableSkips: 0,
    shortTableScans: 0,
    corruptionErrors: 0,
  };

  private constructor(options: EngineOptions) {
    this.#fileSystem = options.fileSystem;
    this.#directory = options.directory;
    this.#logger = options.logger ?? silentLogger;
    this.#syncMode = options.walSync ?? { mode: "always" };
    this.#memtableSizeBytes = options.memtableSizeBytes ?? DEFAULT_MEMTABLE_SIZE_BYTES;
    this.#maxFrozenMemtables = options.maxFrozenMemtables ?? DEFAULT_MAX_FROZEN_MEMTABLES;
    this.#writeStallTimeoutMs = options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS;
    this.#backgroundRetryDelayMs = options.backgroundRetryDelayMs ??
      DEFAULT_BACKGROUND_RETRY_DELAY_MS;
    this.#compaction = options.compaction ?? {};
    this.#statsLogIntervalMs = options.statsLogIntervalMs ?? DEFAULT_STATS_LOG_INTERVAL_MS;
    assert(this.#memtableSizeBytes > 0, `memtable size must be positive`);
    assert(this.#maxFrozenMemtables >= 1, `at least one frozen memtable must be allowed`);
    this.#cache = new BlockCache({
      capacityBytes: options.blockCacheSizeBytes ?? DEFAULT_BLOCK_CACHE_SIZE_BYTES,
    });
    this.#tableContext = {
      fileSystem: this.#fileSystem,
      directory: this.#directory,
      cache: this.#cache,
      writerOptions: options.sstable ?? {},
      pacer: options.pacer ?? realTimePacer,
    };
  }

  /** Opens (creating if needed) the engine in `options.directory` and recovers its state. */
  static async open(options: EngineOptions): Promise<LsmEngine> {
    const engine = new LsmEngine(options);
    engine.#hasher = await loadHasher();
    await engine.#recover();
    engine.#lastWriteMs = engine.#tableContext.pacer.now();
    engine.#startTimers();
    engine.#scheduleCompaction();
    return engine;
  }

  async #recover(): Promise<void> {
    const recovered = await recoverDirectory({
      ...this.#tableContext,
      logger: this.#logger,
      newMemtable: () => this.#newMemtable(),
    });
    this.#manifest = recovered.manifest;
    this.#tables = recovered.tables;
    this.#lastSequence = recovered.lastSequence;
    this.#assignedSequence = recovered.lastSequence;
    this.#nextFileNumber = recovered.nextFileNumber;
    this.#walSegmentNumbers = recovered.walSegmentNumbers;
    this.#active = recovered.memtable;

    const walNumber = this.#nextFileNumber++;
    this.#wal = await WalWriter.create(this.#fileSystem, this.#directory, this.#walPath(walNumber));
    this.#walSegmentNumbers.push(walNumber);
    if (this.#active.sizeBytes >= this.#memtableSizeBytes) this.#freezeActive(walNumber);

    this.#logger.info("storage.opened", {
      directory: this.#directory,
      tables: this.#tables.length,
      walSegmentsReplayed: recovered.walSegmentNumbers.length,
      replayedRecords: recovered.replayedRecords,
      lastSequence: this.#lastSequence,
      walSync: this.#syncMode.mode,
    });
  }

  #startTimers(): void {
    if (this.#syncMode.mode === "batch") {
      const intervalMs = this.#syncMode.intervalMs;
      assert(intervalMs > 0, `WAL batch sync interval must be positive, got ${intervalMs}`);
      this.#addTimer(() => void this.#periodicSync(), intervalMs);
    }
    if (this.#statsLogIntervalMs > 0) {
      this.#addTimer(
        () => this.#logger.info("storage.stats", this.stats()),
        this.#statsLogIntervalMs,
      );
    }
    const idleDelayMs = this.#idleCompactionDelayMs();
    if (idleDelayMs > 0) {
      this.#addTimer(
        () => this.#scheduleCompaction(),
        Math.min(idleDelayMs, IDLE_CHECK_INTERVAL_MAX_MS),
      );
    }
  }

  #addTimer(callback: () => void, intervalMs: number): void {
    const timer = setInterval(callback, intervalMs);
    Deno.unrefTimer(timer);
    this.#timers.push(timer);
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

  #walPath(number: number): string {
    return joinPath(this.#directory, fileName("wal", number));
  }

  // ----- Writes -----

  write(operations: readonly WriteOperation[]): Promise<void> {
    try {
      this.#checkWritable();
      const copied = operations.map(copyValidOperation);
      if (copied.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        this.#queue.push({ operations: copied, resolve, reject });
        this.#onQueued?.();
        this.#commitLoop ??= this.#runCommitLoop();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#poisoned) throw this.#poisonedError();
  }

  async #runCommitLoop(): Promise<void> {
    // Yield once so every write issued in the same tick joins the first group.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0 || this.#inFlight.length > 0) {
        const hasRoom = this.#inFlight.length < MAX_GROUPS_IN_FLIGHT;
        if (this.#inFlight.length > 0 && (this.#inFlight[0]!.settled || !hasRoom)) {
          await this.#finishOldestGroup();
          continue;
        }
        if (this.#queue.length === 0) {
          // Whichever comes first: the oldest group's sync, or a write for a new group.
          await new Promise<void>((resolve) => {
            this.#onQueued = resolve;
            this.#inFlight[0]!.durable.then(resolve, resolve);
          });
          this.#onQueued = undefined;
          continue;
        }
        // Freezing the memtable, and failing writes, happen only with nothing in flight.
        if (this.#poisoned || this.#active.sizeBytes >= this.#memtableSizeBytes) {
          while (this.#inFlight.length > 0) await this.#finishOldestGroup();
        }
        const roomError = this.#poisoned ? undefined : await this.#makeRoomForWrite();
        const group = takeGroup(this.#queue);
        const failure = this.#poisoned ? this.#poisonedError() : roomError;
        if (failure) {
          for (const pending of group) pending.reject(failure);
          continue;
        }
        await this.#startGroup(group);
      }
    } finally {
      this.#commitLoop = undefined;
    }
  }

  /**
   * Freezes the active memtable once it is full, or waits (at most the stall timeout) while too
   * many frozen memtables wait for a flush. Returns the error to fail the next group with.
   */
  async #makeRoomForWrite(): Promise<StorageError | undefined> {
    const pacer = this.#tableContext.pacer;
    let stallStartMs: number | undefined;
    try {
      while (!this.#poisoned && this.#active.sizeBytes >= this.#memtableSizeBytes) {
        if (this.#frozen.length < this.#maxFrozenMemtables) {
          const error = await this.#rotateWal();
          if (error) return error;
          continue;
        }
        if (stallStartMs === undefined) {
          stallStartMs = pacer.now();
          this.#counters.writeStalls++;
          this.#logger.warn("storage.write_stalled", { frozenMemtables: this.#frozen.length });
        }
        const remainingMs = this.#writeStallTimeoutMs - (pacer.now() - stallStartMs);
        if (remainingMs <= 0) {
          return new StorageError(
            "io",
            `write stalled for ${this.#writeStallTimeoutMs} ms waiting for memtable flushes; ` +
              "the disk is slower than the write rate, retry later",
          );
        }
        await this.#waitForBackgroundProgress(remainingMs);
      }
      return undefined;
    } finally {
      if (stallStartMs !== undefined) this.#counters.writeStallMs += pacer.now() - stallStartMs;
    }
  }

  /** Starts a new WAL segment and freezes the active memtable, whose writes the old ones hold. */
  async #rotateWal(): Promise<StorageError | undefined> {
    const number = this.#nextFileNumber++;
    let next: WalWriter;
    try {
      next = await WalWriter.create(this.#fileSystem, this.#directory, this.#walPath(number));
    } catch (error) {
      if (!isNoSpace(error)) return this.#poison(error);
      await this.#fileSystem.remove(this.#walPath(number)).catch(() => {});
      this.#counters.noSpaceFailures++;
      return error;
    }
    try {
      await this.#wal.close();
    } catch (error) {
      await next.close().catch(() => {});
      return this.#poison(error);
    }
    this.#wal = next;
    this.#walSegmentNumbers.push(number);
    this.#freezeActive(number);
    return undefined;
  }

  /** Creates an empty memtable with a key filter sized for the memtable size. */
  #newMemtable(): Memtable {
    return new Memtable({ hasher: this.#hasher, expectedSizeBytes: this.#memtableSizeBytes });
  }

  #freezeActive(nextLogNumber: number): void {
    const memtable = this.#active;
    memtable.freeze();
    this.#frozen = [{ memtable, nextLogNumber }, ...this.#frozen];
    this.#active = this.#newMemtable();
    this.#logger.info("storage.memtable_frozen", {
      memtableBytes: memtable.sizeBytes,
      entries: memtable.entryCount,
      nextLogNumber,
    });
    this.#scheduleFlush();
  }

  /** Appends `group` as one WAL record and starts its sync, without waiting for the sync. */
  async #startGroup(group: PendingWrite[]): Promise<void> {
    const operations = group.flatMap((pending) => pending.operations);
    const { record, entries } = encodeWalRecord(this.#assignedSequence + 1, operations);
    try {
      await this.#wal.append(record);
    } catch (error) {
      const failure = this.#classifyWriteFailure(error);
      for (const pending of group) pending.reject(failure);
      return;
    }
    this.#assignedSequence += entries.length;
    const durable = this.#syncMode.mode === "always" ? this.#wal.sync() : Promise.resolve();
    const inFlight: InFlightGroup = {
      group,
      entries,
      recordBytes: record.length,
      durable,
      settled: false,
    };
    // Also keeps an early failure from being reported as unhandled while older groups finish;
    // #finishOldestGroup awaits the promise itself.
    durable.then(() => (inFlight.settled = true), () => (inFlight.settled = true));
    this.#inFlight.push(inFlight);
  }

  /**
   * Waits for the oldest in-flight group's sync, then inserts its versions into the memtable,
   * publishes its sequence numbers and resolves its writes. Once the engine is poisoned, groups
   * still in flight are rejected even if their own sync succeeded.
   */
  async #finishOldestGroup(): Promise<void> {
    const oldest = this.#inFlight[0]!;
    let failure: StorageError | undefined;
    try {
      await oldest.durable;
      if (this.#syncMode.mode === "always") this.#counters.walSyncs++;
    } catch (error) {
      failure = this.#classifyWriteFailure(error);
    }
    this.#inFlight.shift();
    failure ??= this.#poisoned ? this.#poisonedError() : undefined;
    if (failure) {
      for (const pending of oldest.group) pending.reject(failure);
      return;
    }

    for (const entry of oldest.entries) {
      this.#active.add(entry);
      this.#counters.userBytesWritten += entry.userKey.length + entry.value.length;
    }
    this.#lastSequence += oldest.entries.length;
    this.#lastWriteMs = this.#tableContext.pacer.now();
    this.#counters.writeBatches += oldest.group.length;
    this.#counters.writeGroups++;
    this.#counters.walBytesWritten += oldest.recordBytes;
    for (const pending of oldest.group) pending.resolve();
  }

  /** Returns the error for a failed group: "no-space" stays recoverable, the rest poisons. */
  #classifyWriteFailure(error: unknown): StorageError {
    if (isNoSpace(error)) {
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
        : new StorageError("io", "storage write failed", { file: this.#wal.path, cause: error });
      this.#logger.error("storage.poisoned", { file: this.#poisoned.file, error: this.#poisoned });
      this.#notifyBackgroundProgress();
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

  #waitForBackgroundProgress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiter = () => done();
      this.#progressWaiters.push(waiter);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  #notifyBackgroundProgress(): void {
    const waiters = this.#progressWaiters;
    this.#progressWaiters = [];
    for (const waiter of waiters) waiter();
  }

  // ----- Background flush -----

  #scheduleFlush(): void {
    if (this.#flushTask || this.#stopSignal.signal.aborted) return;
    this.#flushTask = this.#runFlushes().finally(() => {
      this.#flushTask = undefined;
      this.#notifyBackgroundProgress();
    });
  }

  async #runFlushes(): Promise<void> {
    while (this.#frozen.length > 0 && !this.#poisoned && !this.#stopSignal.signal.aborted) {
      const oldest = this.#frozen[this.#frozen.length - 1]!;
      try {
        await this.#flush(oldest);
      } catch (error) {
        if (!isNoSpace(error)) {
          this.#logger.error("storage.flush_failed", { error });
          this.#poison(error);
          return;
        }
        this.#counters.noSpaceFailures++;
        this.#logger.warn("storage.flush_failed_no_space", { error });
        await this.#sleepUnlessStopped(this.#backgroundRetryDelayMs);
      }
    }
  }

  async #flush(target: FrozenMemtable): Promise<void> {
    const pacer = this.#tableContext.pacer;
    const startMs = pacer.now();
    const fileNumber = this.#nextFileNumber++;
    const table = await writeTable(this.#tableContext, fileNumber, target.memtable.entries());
    try {
      await this.#installEdit({ add: [table], remove: new Set(), logNumber: target.nextLogNumber });
    } catch (error) {
      table.release();
      // After a failed rename or directory sync the manifest on disk may name the table.
      if (!(error instanceof ManifestCommitError)) await this.#removeFile(table.path);
      throw error;
    }
    this.#frozen = this.#frozen.filter((frozen) => frozen !== target);
    this.#counters.flushes++;
    this.#counters.bytesFlushed += table.sizeBytes;
    this.#logger.info("storage.flushed", {
      file: table.path,
      entries: table.properties.entryCount,
      tableBytes: table.sizeBytes,
      memtableBytes: target.memtable.sizeBytes,
      durationMs: Math.round(pacer.now() - startMs),
    });
    await this.#removeObsoleteWalSegments();
    this.#notifyBackgroundProgress();
    this.#scheduleCompaction();
  }

  async #removeObsoleteWalSegments(): Promise<void> {
    const obsolete = this.#walSegmentNumbers.filter((n) => n < this.#manifest.logNumber);
    this.#walSegmentNumbers = this.#walSegmentNumbers.filter((n) => n >= this.#manifest.logNumber);
    for (const number of obsolete) await this.#removeFile(this.#walPath(number));
  }

  /** Removes a file that no live state needs; a failure only leaves an orphan for the next open. */
  async #removeFile(path: string): Promise<void> {
    try {
      await this.#fileSystem.remove(path);
    } catch (error) {
      this.#logger.warn("storage.remove_failed", { file: path, error });
    }
  }

  /**
   * Writes a manifest with `add` and without `remove`, then installs that table list. Edits run
   * one at a time, each computed from the state the previous one installed. Returns the tables
   * removed, whose list reference the caller must release.
   */
  #installEdit(edit: {
    add: LiveTable[];
    remove: Set<number>;
    logNumber?: number;
  }): Promise<LiveTable[]> {
    const run = async () => {
      const tables = this.#tables
        .filter((table) => !edit.remove.has(table.fileNumber))
        .concat(edit.add)
        .sort(compareNewestFirst);
      const state: ManifestState = {
        nextFileNumber: this.#nextFileNumber,
        logNumber: Math.max(this.#manifest.logNumber, edit.logNumber ?? 0),
        lastSequence: Math.max(
          this.#manifest.lastSequence,
          ...edit.add.map((table) => table.properties.maxSequence),
        ),
        tables: tables.map((table) => ({
          fileNumber: table.fileNumber,
          fileSizeBytes: table.sizeBytes,
        })),
      };
      await writeManifest(this.#fileSystem, this.#directory, state);
      const removed = this.#tables.filter((table) => edit.remove.has(table.fileNumber));
      this.#manifest = state;
      this.#tables = tables;
      return removed;
    };
    const result = this.#manifestLock.then(run);
    this.#manifestLock = result.catch(() => {});
    return result;
  }

  async #sleepUnlessStopped(durationMs: number): Promise<void> {
    const signal = this.#stopSignal.signal;
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, durationMs);
      signal.addEventListener("abort", finish, { once: true });
      function finish() {
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        resolve();
      }
    });
  }

  // ----- Background compaction -----

  #scheduleCompaction(): void {
    if (this.#compaction.enabled === false || this.#compactionTask) return;
    if (this.#stopSignal.signal.aborted || this.#poisoned || this.#compactionError) return;
    const picked = this.#pickCompaction();
    if (!picked) return;
    this.#compactionTask = this.#compact(picked.inputs, picked.reason)
      .catch(async (error) => {
        if (this.#stopSignal.signal.aborted) return;
        this.#counters.compactionFailures++;
        if (isNoSpace(error)) {
          this.#counters.noSpaceFailures++;
          this.#logger.warn("storage.compaction_failed_no_space", { error });
          await this.#sleepUnlessStopped(this.#backgroundRetryDelayMs);
          return;
        }
        this.#logger.error("storage.compaction_failed", { error, file: error?.file });
        this.#compactionError = error;
        if (error instanceof ManifestCommitError) this.#poison(error);
      })
      .finally(() => {
        this.#compactionTask = undefined;
        this.#scheduleCompaction();
      });
  }

  /**
   * Chooses the next compaction. The space amplification rule comes first, as in RocksDB's
   * universal compaction, because a full merge also does the size-tiered merge's work.
   */
  #pickCompaction(): { inputs: LiveTable[]; reason: CompactionReason } | undefined {
    const settings = this.#compaction;
    const spaceRules = settings.targetFileSizeBytes === undefined;
    if (spaceRules) {
      const inputs = pickSizeAmplificationCompaction(
        this.#tables,
        settings.maxSizeAmplificationPercent ?? DEFAULT_MAX_SIZE_AMPLIFICATION_PERCENT,
      );
      if (inputs) return { inputs, reason: "size-amplification" };
    }
    const tiered = pickCompaction(this.#tables, settings);
    if (tiered) return { inputs: tiered, reason: "size-tiered" };
    if (spaceRules && this.#isIdle()) {
      const inputs = pickSizeAmplificationCompaction(
        this.#tables,
        settings.idleSizeAmplificationPercent ?? DEFAULT_IDLE_SIZE_AMPLIFICATION_PERCENT,
      );
      if (inputs) return { inputs, reason: "idle" };
    }
    return undefined;
  }

  #idleCompactionDelayMs(): number {
    if (this.#compaction.enabled === false) return 0;
    if (this.#compaction.targetFileSizeBytes !== undefined) return 0;
    return this.#compaction.idleCompactionDelayMs ?? DEFAULT_IDLE_COMPACTION_DELAY_MS;
  }

  /** True when nothing was written for the idle delay and no write or flush is pending. */
  #isIdle(): boolean {
    const delayMs = this.#idleCompactionDelayMs();
    if (delayMs <= 0 || this.#queue.length > 0 || this.#frozen.length > 0) return false;
    return this.#tableContext.pacer.now() - this.#lastWriteMs >= delayMs;
  }

  async #compact(inputs: LiveTable[], reason: CompactionReason): Promise<void> {
    const pacer = this.#tableContext.pacer;
    const startMs = pacer.now();
    const inputNumbers = new Set(inputs.map((table) => table.fileNumber));
    const others = this.#tables.filter((table) => !inputNumbers.has(table.fileNumber));
    const outputNumbers: number[] = [];
    const outputs: LiveTable[] = [];
    for (const table of inputs) table.acquire();
    try {
      const result = await runCompaction({
        inputs: inputs.map((table) => table.reader),
        openOutput: async () => {
          const fileNumber = this.#nextFileNumber++;
          outputNumbers.push(fileNumber);
          const path = tablePath(this.#tableContext, fileNumber);
          return {
            file: await this.#fileSystem.openWritable(path, { truncate: true }),
            fileNumber,
          };
        },
        // One output by default: size-tiered picking would group equal-sized split outputs
        // into a bucket again and merge them over and over without dropping anything.
        targetFileSizeBytes: this.#compaction.targetFileSizeBytes ?? Number.MAX_SAFE_INTEGER,
        oldestSnapshotSequence: this.#oldestSnapshotSequence(),
        canDropTombstone: tombstoneDropPredicate(others.map((table) => table.reader)),
        writerOptions: this.#tableContext.writerOptions,
        rateLimitBytesPerSecond: this.#compaction.rateLimitBytesPerSecond,
        pacer,
        signal: this.#stopSignal.signal,
      });
      await this.#fileSystem.syncDirectory(this.#directory);
      for (const output of result.outputs) {
        outputs.push(await openTable(this.#tableContext, output.fileNumber));
      }
      const removed = await this.#installEdit({ add: outputs, remove: inputNumbers });
      outputs.length = 0;
      for (const table of removed) {
        table.release();
        await this.#removeFile(table.path);
      }
      this.#counters.compactions++;
      if (reason === "size-amplification") this.#counters.sizeAmplificationCompactions++;
      if (reason === "idle") this.#counters.idleCompactions++;
      this.#counters.bytesCompactedRead += result.inputBytes;
      this.#counters.bytesCompactedWritten += result.outputBytes;
      this.#logger.info("storage.compacted", {
        reason,
        inputFiles: inputs.map((table) => table.fileNumber),
        outputFiles: result.outputs.map((output) => output.fileNumber),
        inputBytes: result.inputBytes,
        outputBytes: result.outputBytes,
        droppedShadowed: result.droppedShadowedCount,
        droppedTombstones: result.droppedTombstoneCount,
        durationMs: Math.round(pacer.now() - startMs),
      });
    } catch (error) {
      for (const table of outputs) table.release();
      // After a failed rename or directory sync the manifest on disk may name the outputs.
      if (!(error instanceof ManifestCommitError)) {
        for (const number of outputNumbers) {
          await this.#removeFile(tablePath(this.#tableContext, number));
        }
      }
      throw error;
    } finally {
      for (const table of inputs) table.release();
    }
  }

  #oldestSnapshotSequence(): number {
    let oldest = this.#lastSequence;
    for (const sequence of this.#snapshotCounts.keys()) oldest = Math.min(oldest, sequence);
    return oldest;
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
    return this.#get(key, snapshot, true);
  }

  getView(key: Uint8Array, snapshot?: Snapshot): Promise<Uint8Array | undefined> {
    return this.#get(key, snapshot, false);
  }

  #get(
    key: Uint8Array,
    snapshot: Snapshot | undefined,
    copy: boolean,
  ): Promise<Uint8Array | undefined> {
    try {
      this.#checkOpen();
      const sequence = this.#readSequence(snapshot);
      // One hash serves the bloom filters of every memtable and table: it depends only on the key.
      const hash = bloomHash(this.#hasher, key);
      const inMemory = this.#getFromMemtables(key, hash, sequence);
      if (inMemory) {
        if (inMemory.kind !== EntryKind.Put) return Promise.resolve(undefined);
        return Promise.resolve(copy ? inMemory.value.slice() : inMemory.value);
      }
      const candidates = this.#tablesThatMayHold(key, hash, sequence);
      if (candidates.length === 0) return Promise.resolve(undefined);
      const cached = this.#getFromCachedTables(candidates, key, sequence);
      const found = cached === BLOCK_NOT_CACHED
        ? this.#getFromTables(candidates, key, hash, sequence)
        : Promise.resolve(cached);
      // Table values are views into cached blocks.
      return copy ? found.then((value) => value?.slice()) : found;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@linkcode #getFromTables} without awaits, when every filter and block it needs is cached;
   * {@linkcode BLOCK_NOT_CACHED} otherwise. Runs synchronously, so no table can close meanwhile.
   */
  #getFromCachedTables(
    candidates: readonly TableCandidate[],
    key: Uint8Array,
    sequence: number,
  ): Uint8Array | undefined | typeof BLOCK_NOT_CACHED {
    let newest: InternalEntry | undefined;
    let lookups = 0;
    for (const { table, filterChecked } of candidates) {
      if (newest && table.properties.maxSequence <= newest.sequence) break;
      if (!filterChecked) return BLOCK_NOT_CACHED;
      const result = table.reader.getCached(key, sequence);
      if (result === undefined) return BLOCK_NOT_CACHED;
      lookups++;
      const entry = result.entry;
      if (entry && (!newest || entry.sequence > newest.sequence)) newest = entry;
    }
    this.#counters.tableLookups += lookups;
    return newest?.kind === EntryKind.Put ? newest.value : undefined;
  }

  #getFromMemtables(
    key: Uint8Array,
    hash: BloomHash,
    sequence: number,
  ): InternalEntry | undefined {
    const found = this.#active.get(key, sequence, hash);
    if (found) return found;
    for (const frozen of this.#frozen) {
      const entry = frozen.memtable.get(key, sequence, hash);
      if (entry) return entry;
    }
    return undefined;
  }

  /**
   * Returns the tables (newest data first) whose sequence range, key range and bloom filter
   * allow a version of `key` at or below `sequence`. Runs synchronously, so a lookup of an absent
   * key finishes without any I/O or await when the filters it needs are cached. A table whose
   * filter partition is not cached is returned with `filterChecked` false.
   */
  #tablesThatMayHold(key: Uint8Array, hash: BloomHash, sequence: number): TableCandidate[] {
    const candidates: TableCandidate[] = [];
    for (const table of this.#tables) {
      const { minSequence, smallest, largest } = table.properties;
      if (minSequence > sequence) continue;
      if (compareKeys(key, smallest.userKey) < 0 || compareKeys(key, largest.userKey) > 0) continue;
      const mayContain = table.reader.mayContainIfCached(key, hash);
      if (mayContain === false) {
        this.#counters.bloomFilterSkips++;
        continue;
      }
      candidates.push({ table, filterChecked: mayContain === true });
    }
    return candidates;
  }

  /** Finds the newest version at or below `sequence` in `tables` (newest data first). */
  async #getFromTables(
    candidates: readonly TableCandidate[],
    key: Uint8Array,
    hash: BloomHash,
    sequence: number,
  ): Promise<Uint8Array | undefined> {
    for (const { table } of candidates) table.acquire();
    try {
      let newest: InternalEntry | undefined;
      for (const { table, filterChecked } of candidates) {
        if (newest && table.properties.maxSequence <= newest.sequence) break;
        if (!filterChecked && !(await table.reader.mayContain(key, hash))) {
          this.#counters.bloomFilterSkips++;
          continue;
        }
        this.#counters.tableLookups++;
        const { entry } = await table.reader.get(key, sequence, { filterChecked: true });
        if (entry && (!newest || entry.sequence > newest.sequence)) newest = entry;
      }
      return newest?.kind === EntryKind.Put ? newest.value : undefined;
    } catch (error) {
      throw this.#noteReadFailure(error);
    } finally {
      for (const { table } of candidates) table.release();
    }
  }

  async *scan(options: ScanOptions = {}): AsyncIterableIterator<Entry> {
    this.#checkOpen();
    const ownSnapshot = options.snapshot ? undefined : this.snapshot();
    const sequence = this.#readSequence(options.snapshot ?? ownSnapshot);
    // A Query reads one partition key's range: most tables hold nothing in it, so skip them.
    const tables = this.#tables.filter((table) =>
      table.properties.minSequence <= sequence &&
      overlapsRange(table.properties, options.start, options.end)
    );
    this.#counters.scanTableSkips += this.#tables.length - tables.length;
    for (const table of tables) table.acquire();
    try {
      const bounds = { start: options.start, end: options.end, reverse: options.reverse };
      const mergeOptions = { snapshotSequence: sequence, reverse: options.reverse };
      // Taken together with `tables`, before any await: a flush during the await moves a frozen
      // memtable's versions into a table this scan does not see.
      const memtables = this.#memtables();
      const memtableSources = () => memtables.map((memtable) => memtable.entries(bounds));
      // A short range (a Query's partition) is read from each table whole, a few blocks each, so
      // the merge itself needs no promises. Without tables in range nothing is awaited.
      let shortScans: (InternalEntry[] | undefined)[] | undefined = [];
      if (tables.length > SHORT_SCAN_TABLES_MAX) {
        shortScans = undefined;
      } else if (tables.length > 0) {
        shortScans = await Promise.all(
          tables.map((table) => table.reader.scanShort(bounds, SHORT_SCAN_BLOCKS_MAX)),
        );
      }
      const readShort = shortScans !== undefined && shortScans.every((entries) => entries);
      if (readShort && tables.length > 0) this.#counters.shortTableScans++;
      const merged = readShort
        ? mergeVisibleSync([...memtableSources(), ...shortScans as InternalEntry[][]], mergeOptions)
        : mergeVisible(
          [...memtableSources(), ...tables.map((table) => table.reader.scan(bounds))],
          mergeOptions,
        );
      if (options.views) {
        yield* merged;
      } else {
        for await (const entry of merged) {
          yield { key: entry.key.slice(), value: entry.value.slice() };
        }
      }
    } catch (error) {
      throw this.#noteReadFailure(error);
    } finally {
      for (const table of tables) table.release();
      ownSnapshot?.release();
    }
  }

  /** Memtables newest first: the active one, then the frozen ones. */
  #memtables(): Memtable[] {
    return [this.#active, ...this.#frozen.map((frozen) => frozen.memtable)];
  }

  /** Logs a corruption with its file and offset; returns the error for rethrowing. */
  #noteReadFailure(error: unknown): unknown {
    if (error instanceof StorageError && error.kind === "corruption") {
      this.#counters.corruptionErrors++;
      this.#logger.error("storage.corruption", {
        file: error.file,
        offset: error.offset,
        error,
      });
    }
    return error;
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

  /**
   * Resolves once no flush or compaction is running or due: every frozen memtable is flushed and
   * neither size-tiered picking nor the space amplification limit selects a compaction (or
   * compaction stopped after an error). The idle rule may still start one later. For tests and
   * benchmarks.
   */
  async waitForBackgroundWork(): Promise<void> {
    while (this.#flushTask || this.#compactionTask) {
      await Promise.all([this.#flushTask, this.#compactionTask]);
      await this.#manifestLock;
    }
  }

  async close(): Promise<void> {
    this.#checkOpen();
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    while (this.#commitLoop) await this.#commitLoop;
    this.#stopSignal.abort(new StorageError("closed", "storage engine is closing"));
    this.#notifyBackgroundProgress();
    while (this.#flushTask || this.#compactionTask) {
      await Promise.all([this.#flushTask, this.#compactionTask]);
    }
    await this.#manifestLock;
    try {
      await this.#wal.close();
    } catch (error) {
      if (!this.#poisoned) throw error;
    } finally {
      for (const table of this.#tables) table.release();
    }
    this.#logger.info("storage.closed", { directory: this.#directory });
  }

  stats(): Record<string, number> {
    const cache = this.#cache.stats();
    const counters = this.#counters;
    const tableBytes = this.#tables.reduce((sum, table) => sum + table.sizeBytes, 0);
    const largestTableBytes = this.#tables.reduce(
      (max, table) => Math.max(max, table.sizeBytes),
      0,
    );
    const tiers: Record<string, number> = {};
    for (const [index, bucket] of bucketTables(this.#tables, this.#compaction).entries()) {
      tiers[`tablesInTier${index}`] = bucket.length;
    }
    const diskBytesWritten = counters.walBytesWritten + counters.bytesFlushed +
      counters.bytesCompactedWritten;
    const cacheLookups = cache.hits + cache.misses;
    const memtableBytes = this.#memtables().reduce((sum, memtable) => sum + memtable.sizeBytes, 0);
    return {
      memtableBytes,
      frozenMemtables: this.#frozen.length,
      tables: this.#tables.length,
      tableBytes,
      largestTableBytes,
      ...tiers,
      walSegments: this.#walSegmentNumbers.length,
      lastSequence: this.#lastSequence,
      liveSnapshots: [...this.#snapshotCounts.values()].reduce((sum, count) => sum + count, 0),
      oldestSnapshotSequence: this.#oldestSnapshotSequence(),
      ...counters,
      writeAmplification: counters.userBytesWritten === 0
        ? 0
        : diskBytesWritten / counters.userBytesWritten,
      blockCacheHits: cache.hits,
      blockCacheMisses: cache.misses,
      blockCacheBytes: cache.sizeBytes,
      blockCachePinnedBytes: cache.pinnedBytes,
      blockCacheCapacityBytes: cache.capacityBytes,
      blockCacheEvictions: cache.evictions,
      blockCacheHitRatio: cacheLookups === 0 ? 0 : cache.hits / cacheLookups,
      accountedMemoryBytes: memtableBytes + cache.sizeBytes,
      poisoned: this.#poisoned ? 1 : 0,
      compactionStopped: this.#compactionError ? 1 : 0,
    };
  }
}
