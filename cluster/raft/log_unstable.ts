/**
 * The tail of the log that the application has not yet persisted: entries after the stable
 * storage's last index, and possibly an incoming snapshot.
 *
 * Invariants: when `snapshot` is set, `offset` is `snapshot.metadata.index + 1`; `entries[i]`
 * has index `offset + i`. Entries leave this tail only through `stableTo`, after the application
 * reports them durable, and only if the persisted entry still has the same term (a newer leader
 * may have replaced it in the meantime).
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import type { Entry, Snapshot } from "./types.ts";

/** Unpersisted entries and snapshot of one replica. */
export class UnstableLog {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of `entries[0]`, or where the next entry goes when `entries` is empty. */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index if the unstable part starts with a snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  /** Returns the last index, if the unstable part is not empty. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  /** Returns the term of `index`, if the unstable part contains it. */
  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      const metadata = this.snapshot?.metadata;
      return metadata && metadata.index === index ? metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /** Drops entries up to `index` after they became durable, if `index` still has `term`. */
  stableTo(index: number, term: number): void {
    if (this.maybeTerm(index) !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  /** Drops the snapshot at `index` after it became durable. */
  stableSnapshotTo(index: number): void {
    if (this.snapshot?.metadata.index === index) this.snapshot = undefined;
  }

  /** Replaces everything with `snapshot`. */
  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends `entries`, first cutting off any unstable entries at or after the first one. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (after <= this.offset) {
      // Replaces the whole unstable tail; the stable log past `after` is shadowed by it.
      this.offset = after;
      this.entries = [...entries];
    } else {
      this.entries = [...this.slice(this.offset, after), ...entries];
    }
  }

  /** Entries in [low, high). */
  slice(low: number, high: number): Entry[] {
    assert(low <= high, `unstable slice ${low} > ${high}`);
    const upper = this.offset + this.entries.length;
    assert(low >= this.offset, `unstable slice starts at ${low}, before offset ${this.offset}`);
    assert(high <= upper, `unstable slice ends at ${high}, past ${upper}`);
    return this.entries.slice(low - this.offset, high - this.offset);
  }
}
