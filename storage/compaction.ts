/**
 * Size-tiered compaction: choosing which SSTables to merge ({@linkcode pickCompaction}) and
 * merging them into new tables ({@linkcode runCompaction}). Runs off the request path, either in
 * a Worker (it touches no engine state: inputs are readers, outputs come from a callback) or
 * time-sliced on the main thread, yielding to the event loop every `yieldEveryBytes` of input.
 *
 * Picking: tables are sorted by size and grouped into buckets whose members are within
 * `bucketLow`..`bucketHigh` times the bucket's average size. All tables below `minTableSizeBytes`
 * share one bucket, so many small flushes merge early. A bucket with at least `minThreshold`
 * tables is eligible, and the eligible bucket with the smallest average size wins, because it is
 * the cheapest way to cut the table count. At most `maxThreshold` tables, the smallest of the
 * bucket, are merged at once.
 *
 * Size-tiered picking alone never merges tables of very different sizes, so after keys are
 * overwritten the old versions in the largest table stay forever. The space amplification rule
 * ({@linkcode pickSizeAmplificationCompaction}, as `max_size_amplification_percent` in RocksDB's
 * universal compaction) fixes that: once the bytes of all tables but the largest exceed a
 * percentage of the largest, every table is merged into one, which drops every shadowed version
 * and every tombstone no snapshot needs.
 *
 * Merging keeps every version a live snapshot may read. For each user key, versions come newest
 * first. A version is dropped when a newer version of the same key has a sequence at or below
 * `oldestSnapshotSequence`, because every reader then sees that newer one. A tombstone at or
 * below `oldestSnapshotSequence` is dropped only when `canDropTombstone` returns true, meaning no
 * table outside the compaction may hold an older version of the key. Otherwise the tombstone
 * stays, because it still hides that version.
 *
 * Tables picked by size need not be adjacent in age, so an output's sequence range may overlap
 * tables left out of the compaction. A point lookup must therefore visit tables by descending
 * max sequence and may stop only once the next table's max sequence is at or below the sequence
 * of the best version found so far.
 *
 * @module
 */

import type { WritableFile } from "./file_system.ts";
import { compareKeys } from "./engine.ts";
import { EntryKind, type InternalEntry } from "./internal_key.ts";
import { mergeRaw } from "./merge_iterator.ts";
import type { SstableReader } from "./sstable_reader.ts";
import { SstableWriter, type SstableWriterOptions } from "./sstable_writer.ts";
import type { SstableProperties } from "./sstable_format.ts";
import { assert } from "../util/assert.ts";

/** Tuning of size-tiered picking. */
export interface SizeTieredOptions {
  /** Tables needed in a bucket before it is compacted. */
  minThreshold?: number;
  /** Maximum tables merged by one compaction. */
  maxThreshold?: number;
  /** A table joins a bucket if its size is at least this times the bucket's average. */
  bucketLow?: number;
  /** A table joins a bucket if its size is at most this times the bucket's average. */
  bucketHigh?: number;
  /** Tables smaller than this all share the first bucket, whatever their ratio. */
  minTableSizeBytes?: number;
}

/** Default tables per bucket that trigger a compaction. */
export const DEFAULT_MIN_THRESHOLD = 4;
/** Default maximum tables per compaction. */
export const DEFAULT_MAX_THRESHOLD = 32;
/** Default lower size ratio of a bucket. */
export const DEFAULT_BUCKET_LOW = 0.5;
/** Default upper size ratio of a bucket. */
export const DEFAULT_BUCKET_HIGH = 1.5;
/** Default size below which tables are grouped together regardless of ratio. */
export const DEFAULT_MIN_TABLE_SIZE_BYTES = 4 * 1024 * 1024;

/** Groups tables into size tiers, smallest sizes first. Each bucket is sorted by size. */
export function bucketTables<Table extends { sizeBytes: number }>(
  tables: readonly Table[],
  options: SizeTieredOptions = {},
): Table[][] {
  const bucketLow = options.bucketLow ?? DEFAULT_BUCKET_LOW;
  const bucketHigh = options.bucketHigh ?? DEFAULT_BUCKET_HIGH;
  const minTableSizeBytes = options.minTableSizeBytes ?? DEFAULT_MIN_TABLE_SIZE_BYTES;
  assert(bucketLow > 0, `bucketLow must be positive: ${bucketLow}`);
  assert(bucketLow <= 1, `bucketLow must be at most 1: ${bucketLow}`);
  assert(bucketHigh >= 1, `bucketHigh must be at least 1: ${bucketHigh}`);

  const sorted = [...tables].sort((a, b) => a.sizeBytes - b.sizeBytes);
  const buckets: Table[][] = [];
  let current: Table[] = [];
  let currentTotalBytes = 0;
  for (const table of sorted) {
    const average = current.length === 0 ? 0 : currentTotalBytes / current.length;
    const bothSmall = table.sizeBytes < minTableSizeBytes && average < minTableSizeBytes;
    const fitsRatio = table.sizeBytes >= average * bucketLow &&
      table.sizeBytes <= average * bucketHigh;
    if (current.length > 0 && !bothSmall && !fitsRatio) {
      buckets.push(current);
      current = [];
      currentTotalBytes = 0;
    }
    current.push(table);
    currentTotalBytes += table.sizeBytes;
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

/**
 * Returns the tables of the next compaction, or undefined when no bucket has reached
 * `minThreshold` tables. See the module documentation for the rule.
 */
export function pickCompaction<Table extends { sizeBytes: number }>(
  tables: readonly Table[],
  options: SizeTieredOptions = {},
): Table[] | undefined {
  const minThreshold = options.minThreshold ?? DEFAULT_MIN_THRESHOLD;
  const maxThreshold = options.maxThreshold ?? DEFAULT_MAX_THRESHOLD;
  assert(minThreshold >= 2, `minThreshold must be at least 2: ${minThreshold}`);
  assert(maxThreshold >= minThreshold, `maxThreshold ${maxThreshold} < minThreshold`);

  // Buckets come smallest first, so the first eligible one has the smallest average size.
  for (const bucket of bucketTables(tables, options)) {
    if (bucket.length >= minThreshold) return bucket.slice(0, maxThreshold);
  }
  return undefined;
}

/** Default limit of the space amplification rule: the other tables may hold the largest's size. */
export const DEFAULT_MAX_SIZE_AMPLIFICATION_PERCENT = 100;

/**
 * Returns every table when there are at least two and the bytes of all but the largest exceed
 * `maxSizeAmplificationPercent` percent of the largest, else undefined. The largest table
 * approximates the live data, so at the limit all tables together are (1 + percent / 100) times
 * its size.
 */
export function pickSizeAmplificationCompaction<Table extends { sizeBytes: number }>(
  tables: readonly Table[],
  maxSizeAmplificationPercent: number,
): Table[] | undefined {
  assert(
    maxSizeAmplificationPercent >= 0,
    `maxSizeAmplificationPercent must not be negative: ${maxSizeAmplificationPercent}`,
  );
  if (tables.length < 2) return undefined;
  let totalBytes = 0;
  let largestBytes = 0;
  for (const table of tables) {
    totalBytes += table.sizeBytes;
    largestBytes = Math.max(largestBytes, table.sizeBytes);
  }
  const otherBytes = totalBytes - largestBytes;
  return otherBytes * 100 > maxSizeAmplificationPercent * largestBytes ? [...tables] : undefined;
}

/** A table outside a compaction, as {@linkcode tombstoneDropPredicate} inspects it. */
export interface OtherTable {
  readonly properties: Pick<SstableProperties, "smallest" | "largest" | "minSequence">;
  /** False when the bloom filter rules the key out; may read the filter from disk. */
  mayContain(userKey: Uint8Array): boolean | Promise<boolean>;
}

/**
 * Builds a `canDropTombstone` predicate from the tables that are not inputs of a compaction. A
 * tombstone may be dropped when no such table may hold a version of its key older than the
 * tombstone: its key range excludes the key, its bloom filter rules the key out, or all its
 * versions are newer. `SstableReader` satisfies {@linkcode OtherTable}.
 */
export function tombstoneDropPredicate(
  otherTables: readonly OtherTable[],
): (userKey: Uint8Array, sequence: number) => Promise<boolean> {
  return async (userKey, sequence) => {
    for (const table of otherTables) {
      const { smallest, largest, minSequence } = table.properties;
      if (minSequence > sequence) continue;
      if (compareKeys(userKey, smallest.userKey) < 0) continue;
      if (compareKeys(userKey, largest.userKey) > 0) continue;
      if (await table.mayContain(userKey)) return false;
    }
    return true;
  };
}

/** Whether a tombstone of `userKey` at `sequence` may be dropped; see `tombstoneDropPredicate`. */
export type TombstoneDropPredicate = (
  userKey: Uint8Array,
  sequence: number,
) => boolean | Promise<boolean>;

/** Time source and sleep used for pacing; tests substitute a simulated one. */
export interface CompactionPacer {
  /** Milliseconds from an arbitrary origin, never decreasing. */
  now(): number;
  /** Resolves after `durationMs`; 0 yields to the event loop once. */
  sleep(durationMs: number): Promise<void>;
}

/** Pacer on the real clock and timers. */
export const realTimePacer: CompactionPacer = {
  now: () => performance.now(),
  sleep: (durationMs) => new Promise((resolve) => setTimeout(resolve, durationMs)),
};

/** A new, empty file for one output table, with the file number the caller assigned it. */
export interface CompactionOutputFile {
  file: WritableFile;
  fileNumber: number;
  /** Name for logs, passed through to {@linkcode CompactionOutput}. */
  fileName?: string;
}

/** Progress reported to {@linkcode CompactionOptions.pace}. */
export interface CompactionProgress {
  /** Input bytes consumed so far, counted as key + value + 8 bytes per entry. */
  inputBytes: number;
  /** Bytes of finished outputs plus the estimated size of the one being written. */
  outputBytes: number;
}

/** Inputs and settings of {@linkcode runCompaction}. */
export interface CompactionOptions {
  /** Tables to merge, in any order. */
  inputs: readonly SstableReader[];
  /**
   * Creates the next output file. The caller records each file number, so it can delete the
   * outputs if the compaction fails; `runCompaction` closes every file it received.
   */
  openOutput(): Promise<CompactionOutputFile>;
  /** An output table is finished at the first user key boundary past this size. */
  targetFileSizeBytes: number;
  /** Smallest sequence any live snapshot reads at (the latest sequence when none is taken). */
  oldestSnapshotSequence: number;
  /** Whether a tombstone may be dropped; never when absent. See {@linkcode tombstoneDropPredicate}. */
  canDropTombstone?: TombstoneDropPredicate;
  writerOptions?: SstableWriterOptions;
  /** Maximum bytes written per second, averaged since the start; unlimited when absent. */
  rateLimitBytesPerSecond?: number;
  /** Input bytes between yields to the event loop (default 64 KiB). */
  yieldEveryBytes?: number;
  pacer?: CompactionPacer;
  /**
   * Awaited at every yield point, after any rate-limit wait, in place of the plain yield to the
   * event loop. Lets the caller throttle or report progress.
   */
  pace?: (progress: CompactionProgress) => Promise<void>;
  /** Aborts the compaction at its next yield; the error is the signal's reason. */
  signal?: AbortSignal;
}

/** One table written by a compaction. */
export interface CompactionOutput {
  fileNumber: number;
  fileName?: string;
  properties: SstableProperties;
}

/** Outcome and counters of a finished compaction. */
export interface CompactionResult {
  /** Output tables in key order; their key ranges do not overlap. Empty when all was dropped. */
  outputs: CompactionOutput[];
  inputBytes: number;
  outputBytes: number;
  inputEntryCount: number;
  outputEntryCount: number;
  /** Versions dropped because a newer version hides them from every snapshot. */
  droppedShadowedCount: number;
  droppedTombstoneCount: number;
}

/**
 * Default input bytes between yields to the event loop: an estimated half millisecond of work on the
 * 2-core test VM, so requests wait at most that long behind a compaction slice.
 */
export const DEFAULT_YIELD_EVERY_BYTES = 64 * 1024;
/** Per-entry bytes counted on top of key and value when pacing, for the entry header. */
const ENTRY_OVERHEAD_BYTES = 8;

/**
 * Merges `inputs` into new tables, dropping versions no snapshot can read (see the module
 * documentation). Every output is synced and closed before this resolves. On failure the
 * outputs opened so far are closed but not removed: the caller deletes them by file number.
 */
export async function runCompaction(options: CompactionOptions): Promise<CompactionResult> {
  assert(options.inputs.length > 0, "a compaction needs at least one input table");
  assert(options.targetFileSizeBytes > 0, "targetFileSizeBytes must be positive");
  const pacing = new Pacing(options);
  const outputs = new OutputTables(options);
  const filter = new VersionFilter(options.oldestSnapshotSequence, options.canDropTombstone);
  const sources = options.inputs.map((reader) => reader.scan({ fillCache: false }));
  let inputEntryCount = 0;
  try {
    for await (const entry of mergeRaw(sources)) {
      inputEntryCount++;
      let verdict = filter.decide(entry);
      if (verdict === "droppable-tombstone") verdict = await filter.decideTombstone(entry);
      if (verdict === "keep") await outputs.add(entry);
      await pacing.afterEntry(entry, outputs.writtenBytes);
    }
    await outputs.finish();
  } finally {
    await outputs.closeOpenFile();
  }
  const finished = outputs.finished;
  return {
    outputs: finished,
    inputBytes: options.inputs.reduce((sum, reader) => sum + reader.properties.fileSizeBytes, 0),
    outputBytes: finished.reduce((sum, output) => sum + output.properties.fileSizeBytes, 0),
    inputEntryCount,
    outputEntryCount: finished.reduce((sum, output) => sum + output.properties.entryCount, 0),
    droppedShadowedCount: filter.droppedShadowedCount,
    droppedTombstoneCount: filter.droppedTombstoneCount,
  };
}

/** Outcome of one version in a compaction. */
type Verdict = "keep" | "shadowed" | "tombstone";

/**
 * Decides, version by version in merged order, what a compaction keeps. `decide` returns the
 * verdict synchronously, except for a tombstone old enough to drop: then it returns
 * "droppable-tombstone", and `decideTombstone` calls the possibly asynchronous predicate.
 */
class VersionFilter {
  readonly #oldestSnapshotSequence: number;
  readonly #canDropTombstone: TombstoneDropPredicate;
  #currentKey: Uint8Array | undefined;
  /** Sequence of the previous version of the current key; Infinity before its first version. */
  #newerSequence = Infinity;
  droppedShadowedCount = 0;
  droppedTombstoneCount = 0;

  constructor(oldestSnapshotSequence: number, canDropTombstone?: TombstoneDropPredicate) {
    this.#oldestSnapshotSequence = oldestSnapshotSequence;
    this.#canDropTombstone = canDropTombstone ?? (() => false);
  }

  decide(entry: InternalEntry): Verdict | "droppable-tombstone" {
    if (this.#currentKey === undefined || compareKeys(entry.userKey, this.#currentKey) !== 0) {
      this.#currentKey = entry.userKey;
      this.#newerSequence = Infinity;
    }
    const newerSequence = this.#newerSequence;
    this.#newerSequence = entry.sequence;
    if (newerSequence <= this.#oldestSnapshotSequence) {
      this.droppedShadowedCount++;
      return "shadowed";
    }
    const oldTombstone = entry.kind === EntryKind.Delete &&
      entry.sequence <= this.#oldestSnapshotSequence;
    return oldTombstone ? "droppable-tombstone" : "keep";
  }

  /** Decides a tombstone that `decide` found old enough to drop. */
  async decideTombstone(entry: InternalEntry): Promise<Verdict> {
    if (!(await this.#canDropTombstone(entry.userKey, entry.sequence))) return "keep";
    // Older versions of this key in the inputs are dropped as shadowed by this tombstone.
    this.droppedTombstoneCount++;
    return "tombstone";
  }
}

/** The sequence of output tables, cut at user key boundaries past the target size. */
class OutputTables {
  readonly #options: CompactionOptions;
  #writer: SstableWriter | undefined;
  #current: CompactionOutputFile | undefined;
  #lastKey: Uint8Array | undefined;
  #finishedBytes = 0;
  readonly finished: CompactionOutput[] = [];

  constructor(options: CompactionOptions) {
    this.#options = options;
  }

  /** Bytes of finished outputs plus the estimated size of the one being written. */
  get writtenBytes(): number {
    return this.#finishedBytes + (this.#writer?.estimatedSizeBytes ?? 0);
  }

  async add(entry: InternalEntry): Promise<void> {
    const newKey = this.#lastKey === undefined || compareKeys(entry.userKey, this.#lastKey) !== 0;
    const full = this.#writer !== undefined &&
      this.#writer.estimatedSizeBytes >= this.#options.targetFileSizeBytes;
    if (full && newKey) await this.#finishCurrent();
    if (this.#writer === undefined) {
      this.#current = await this.#options.openOutput();
      this.#writer = await SstableWriter.create(this.#current.file, this.#options.writerOptions);
    }
    await this.#writer.add(entry);
    if (newKey) this.#lastKey = entry.userKey.slice();
  }

  async finish(): Promise<void> {
    if (this.#writer !== undefined) await this.#finishCurrent();
  }

  async #finishCurrent(): Promise<void> {
    const writer = this.#writer;
    const current = this.#current;
    assert(writer !== undefined, "an output writer is open");
    assert(current !== undefined, "an output file is open");
    const properties = await writer.finish();
    this.#writer = undefined;
    this.#current = undefined;
    await current.file.close();
    this.finished.push({ fileNumber: current.fileNumber, fileName: current.fileName, properties });
    this.#finishedBytes += properties.fileSizeBytes;
  }

  /** Closes the output left open by a failure; a no-op after `finish`. */
  async closeOpenFile(): Promise<void> {
    const current = this.#current;
    this.#writer = undefined;
    this.#current = undefined;
    await current?.file.close();
  }
}

/** Yields to the event loop and enforces the write rate limit as input is consumed. */
class Pacing {
  readonly #pacer: CompactionPacer;
  readonly #pace: ((progress: CompactionProgress) => Promise<void>) | undefined;
  readonly #yieldEveryBytes: number;
  readonly #rateLimitBytesPerSecond: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #startMs: number;
  #bytesSinceYield = 0;
  #inputBytes = 0;

  constructor(options: CompactionOptions) {
    this.#pacer = options.pacer ?? realTimePacer;
    this.#pace = options.pace;
    this.#yieldEveryBytes = options.yieldEveryBytes ?? DEFAULT_YIELD_EVERY_BYTES;
    this.#rateLimitBytesPerSecond = options.rateLimitBytesPerSecond;
    this.#signal = options.signal;
    this.#startMs = this.#pacer.now();
    assert(this.#yieldEveryBytes > 0, "yieldEveryBytes must be positive");
    if (this.#rateLimitBytesPerSecond !== undefined) {
      assert(this.#rateLimitBytesPerSecond > 0, "rateLimitBytesPerSecond must be positive");
    }
    this.#signal?.throwIfAborted();
  }

  async afterEntry(entry: InternalEntry, writtenBytes: number): Promise<void> {
    const entryBytes = entry.userKey.length + entry.value.length + ENTRY_OVERHEAD_BYTES;
    this.#inputBytes += entryBytes;
    this.#bytesSinceYield += entryBytes;
    if (this.#bytesSinceYield < this.#yieldEveryBytes) return;
    this.#bytesSinceYield = 0;

    const delayMs = this.#delayMs(writtenBytes);
    if (delayMs > 0 || this.#pace === undefined) await this.#pacer.sleep(delayMs);
    await this.#pace?.({ inputBytes: this.#inputBytes, outputBytes: writtenBytes });
    this.#signal?.throwIfAborted();
  }

  /** Time to wait so that `writtenBytes` since the start does not exceed the rate limit. */
  #delayMs(writtenBytes: number): number {
    if (this.#rateLimitBytesPerSecond === undefined) return 0;
    const allowedAtMs = this.#startMs + (writtenBytes / this.#rateLimitBytesPerSecond) * 1000;
    return Math.max(0, allowedAtMs - this.#pacer.now());
  }
}
