/**
 * A replica's whole log: the persisted part read through {@linkcode LogStorage} followed by the
 * unstable tail, with the commit and applied indexes.
 *
 * Invariants: `applied <= committed <= lastIndex()`, and committed entries are never replaced.
 * An append that would change a committed entry fails an assertion, because only a broken leader
 * or broken storage can cause it.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import { limitEntriesSize, LogCompactedError, type LogStorage } from "./log_storage.ts";
import { UnstableLog } from "./log_unstable.ts";
import type { Entry, Snapshot } from "./types.ts";

/** Stable plus unstable log of one replica. */
export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: UnstableLog;
  /** Highest index known to be committed. */
  committed: number;
  /** Highest index handed to the application to apply. Never passes `committed`. */
  applied: number;
  /** Maximum bytes of entry data per returned batch of committed entries. */
  readonly maxApplySizeBytes: number;

  constructor(storage: LogStorage, maxApplySizeBytes: number) {
    this.storage = storage;
    this.maxApplySizeBytes = maxApplySizeBytes;
    const first = storage.firstIndex();
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, `term of last index ${this.lastIndex()} unknown`);
    return term;
  }

  /** Term of `index`, or undefined when it is compacted or past the end. */
  term(index: number): number | undefined {
    const dummyIndex = this.firstIndex() - 1;
    if (index < dummyIndex || index > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    try {
      return this.storage.term(index);
    } catch (error) {
      if (error instanceof LogCompactedError) return undefined;
      throw error;
    }
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * Returns whether a log ending at (`lastIndex`, `lastTerm`) is at least as up to date as this one:
   * a later last term wins, and with equal terms the longer log wins.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ownTerm = this.lastTerm();
    return lastTerm > ownTerm || (lastTerm === ownTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends the leader's `entries` that follow (`index`, `logTerm`) if that position matches,
   * then advances the commit index to `leaderCommit`, capped at the last new entry. Returns the
   * index of the last new entry, or undefined when the position does not match.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    leaderCommit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      assert(
        conflictIndex > this.committed,
        `append conflicts with committed entry ${conflictIndex} (committed ${this.committed})`,
      );
      this.append(entries.slice(conflictIndex - (index + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNewIndex));
    return lastNewIndex;
  }

  /** Appends `entries` after cutting the log at the first one. Returns the new last index. */
  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (!first) return this.lastIndex();
    assert(first.index - 1 >= this.committed, `append at ${first.index} cuts committed log`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * Index of the first entry in `entries` that is missing or has another term in this log, or 0
   * when every entry is already present.
   */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Returns the largest index at or below `index` whose term is at most `term`, so that a
   * leader can skip a whole run of conflicting entries in one probe.
   */
  findConflictByTerm(index: number, term: number): number {
    let candidate = Math.min(index, this.lastIndex());
    while (candidate > 0) {
      const candidateTerm = this.term(candidate);
      if (candidateTerm === undefined || candidateTerm <= term) break;
      candidate--;
    }
    return candidate;
  }

  /** Entries from `low` to the end, cut after `maxSizeBytes`. Throws if `low` is compacted. */
  entriesFrom(low: number, maxSizeBytes: number): Entry[] {
    if (low > this.lastIndex()) return [];
    return this.slice(low, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries in [low, high), cut after `maxSizeBytes`. Throws if `low` is compacted. */
  slice(low: number, high: number, maxSizeBytes: number): Entry[] {
    if (low === high) return [];
    const first = this.firstIndex();
    if (low < first) throw new LogCompactedError(`index ${low} is compacted (first ${first})`);
    assert(high <= this.lastIndex() + 1, `slice high ${high} past last ${this.lastIndex()}`);
    let result: Entry[] = [];
    const unstableOffset = this.unstable.offset;
    if (low < unstableOffset) {
      result = this.storage.entries(low, Math.min(high, unstableOffset), maxSizeBytes);
      const storedHigh = Math.min(high, unstableOffset);
      // Storage cut the batch short for size, so the unstable part is not needed.
      if (result.length < storedHigh - low) return result;
    }
    if (high > unstableOffset) {
      result = result.concat(this.unstable.slice(Math.max(low, unstableOffset), high));
    }
    return limitEntriesSize(result, maxSizeBytes);
  }

  /** Entries the application must persist. */
  unstableEntries(): Entry[] {
    return [...this.unstable.entries];
  }

  /** Committed entries not yet handed out for applying. */
  nextCommittedEntries(): Entry[] {
    const low = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= low) return [];
    return this.slice(low, this.committed + 1, this.maxApplySizeBytes);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** Returns the latest snapshot, unstable or stored. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} past last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(
      index <= this.committed && index >= this.applied,
      `applied ${index} outside [${this.applied}, ${this.committed}]`,
    );
    this.applied = index;
  }

  /**
   * Commits `index` if the entry there has term `term`. The leader passes its current term, which
   * is how entries of earlier terms commit only behind an entry of the current term.
   */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  /** Replaces the log with `snapshot`, which becomes the commit point. */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }
}
