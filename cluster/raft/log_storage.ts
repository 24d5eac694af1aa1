/**
 * Read access to the persisted part of a replica's log, and an in-memory implementation that the
 * runtime keeps as a cache of what its durable storage holds.
 *
 * The core only reads through {@linkcode LogStorage}; the runtime writes to
 * {@linkcode MemoryLogStorage} after each Ready is durable. Index ranges are half-open: `[low,
 * high)`. Returned arrays are fresh copies owned by the caller; entries themselves are shared and
 * must not be mutated.
 *
 * The log always keeps a dummy position at `firstIndex() - 1`, whose term is known (from the
 * last snapshot or 0), so that an append after it can be checked.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import {
  type ConfState,
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  type Entry,
  type HardState,
  type Snapshot,
} from "./types.ts";

/** Thrown by {@linkcode LogStorage} reads below the first retained index. */
export class LogCompactedError extends Error {
  override name = "LogCompactedError";
}

/** Thrown by {@linkcode LogStorage.snapshot} while a snapshot is being produced. */
export class SnapshotUnavailableError extends Error {
  override name = "SnapshotUnavailableError";
}

/** Persisted state read once when a replica starts. */
export interface InitialState {
  readonly hardState: HardState;
  /** Membership as of the latest snapshot. */
  readonly confState: ConfState;
}

/** The persisted log as the Raft core reads it. */
export interface LogStorage {
  initialState(): InitialState;
  /** Entries in [low, high), cut after `maxSizeBytes` of data but always at least one. */
  entries(low: number, high: number, maxSizeBytes: number): Entry[];
  /** Term of `index`, for `firstIndex() - 1 <= index <= lastIndex()`. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot. */
  snapshot(): Snapshot;
}

/** A {@linkcode LogStorage} held in memory, written by the runtime. */
export class MemoryLogStorage implements LogStorage {
  hardState: HardState = EMPTY_HARD_STATE;
  #snapshot: Snapshot = EMPTY_SNAPSHOT;
  /** Index and term of the dummy position before the first retained entry. */
  #offsetIndex = 0;
  #offsetTerm = 0;
  /** `entries[i]` has index `#offsetIndex + 1 + i`. */
  #entries: Entry[] = [];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.#snapshot.metadata.confState };
  }

  entries(low: number, high: number, maxSizeBytes: number): Entry[] {
    const first = this.firstIndex();
    if (low < first) throw new LogCompactedError(`index ${low} is compacted (first ${first})`);
    assert(high <= this.lastIndex() + 1, `entries high ${high} past last ${this.lastIndex()}`);
    const selected = this.#entries.slice(low - first, high - first);
    return limitEntriesSize(selected, maxSizeBytes);
  }

  term(index: number): number {
    if (index < this.#offsetIndex) throw new LogCompactedError(`term of compacted index ${index}`);
    if (index === this.#offsetIndex) return this.#offsetTerm;
    const entry = this.#entries[index - this.#offsetIndex - 1];
    assert(entry !== undefined, `term of index ${index} past last ${this.lastIndex()}`);
    return entry.term;
  }

  firstIndex(): number {
    return this.#offsetIndex + 1;
  }

  lastIndex(): number {
    return this.#offsetIndex + this.#entries.length;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /**
   * Appends durable entries, replacing any stored entries at or after the first one. Entries
   * already compacted away are skipped.
   */
  append(entries: readonly Entry[]): void {
    const first = this.firstIndex();
    const kept = entries.filter((entry) => entry.index >= first);
    const firstKept = kept[0];
    if (!firstKept) return;
    assert(
      firstKept.index <= this.lastIndex() + 1,
      `append at ${firstKept.index} leaves a gap after ${this.lastIndex()}`,
    );
    this.#entries.splice(firstKept.index - first);
    this.#entries.push(...kept);
  }

  /** Replaces the whole log with `snapshot` (a snapshot received from the leader). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.metadata.index < this.#snapshot.metadata.index) return;
    this.#snapshot = snapshot;
    this.#offsetIndex = snapshot.metadata.index;
    this.#offsetTerm = snapshot.metadata.term;
    this.#entries = [];
  }

  /** Records a snapshot that the local state machine took after applying `index`. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    assert(index <= this.lastIndex(), `snapshot index ${index} past last ${this.lastIndex()}`);
    assert(index >= this.#snapshot.metadata.index, `snapshot index ${index} goes backwards`);
    const snapshot = { metadata: { index, term: this.term(index), confState }, data };
    this.#snapshot = snapshot;
    return snapshot;
  }

  /**
   * Drops entries up to and including `compactIndex`, which must not pass the latest snapshot,
   * so that every dropped entry stays covered by it.
   */
  compact(compactIndex: number): void {
    if (compactIndex <= this.#offsetIndex) return;
    assert(
      compactIndex <= this.#snapshot.metadata.index,
      `compact to ${compactIndex} past snapshot ${this.#snapshot.metadata.index}`,
    );
    const term = this.term(compactIndex);
    this.#entries = this.#entries.slice(compactIndex - this.#offsetIndex);
    this.#offsetIndex = compactIndex;
    this.#offsetTerm = term;
  }
}

/** Returns the longest prefix of `entries` within `maxSizeBytes` of data, at least one entry. */
export function limitEntriesSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  let sizeBytes = 0;
  for (let i = 0; i < entries.length; i++) {
    sizeBytes += entries[i]!.data.byteLength;
    if (i > 0 && sizeBytes > maxSizeBytes) return entries.slice(0, i);
  }
  return entries;
}
