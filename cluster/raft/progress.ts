/**
 * The leader's view of one follower: how much of the log it has (`match`), what to send next
 * (`next`), and the flow-control state that decides whether to send at all.
 *
 * States:
 * - probe: the leader does not know where the follower's log ends; it sends one append per
 *   heartbeat interval and waits for the answer before moving `next`.
 * - replicate: appends stream optimistically, bounded by the in-flight window.
 * - snapshot: an InstallSnapshot is outstanding; nothing else is sent until it is acknowledged or
 *   reported failed, or the leader gives up waiting.
 *
 * Invariant: `match < next` in every state.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import { Inflights } from "./inflights.ts";

/** Flow-control state of a follower. Values are internal and never persisted. */
export const ProgressState = {
  Probe: 0,
  Replicate: 1,
  Snapshot: 2,
} as const;
/** Flow-control state of a follower. */
export type ProgressState = typeof ProgressState[keyof typeof ProgressState];

/** Replication progress of one follower (or of the leader itself), kept by the leader. */
export class Progress {
  /** Highest index known to be in the follower's log. */
  match: number;
  /** Next index to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In snapshot state: index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Ticks spent in snapshot state, so a lost snapshot is retried. */
  snapshotElapsedTicks = 0;
  /** Whether the follower responded since the last check-quorum round. */
  recentActive = false;
  /** In probe state: an append was sent and its response is awaited. */
  probeSent = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(
    options: { match: number; next: number; maxInflight: number; isLearner: boolean },
  ) {
    this.match = options.match;
    this.next = options.next;
    this.inflights = new Inflights(options.maxInflight);
    this.isLearner = options.isLearner;
    this.#checkInvariant();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // The snapshot may have arrived; probing right after it skips entries it covers.
      const pendingSnapshot = this.pendingSnapshot;
      this.#resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.#resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.#resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  /** Enters snapshot state for a snapshot at `snapshotIndex`. */
  becomeSnapshot(snapshotIndex: number): void {
    this.#resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * Records that the follower holds the log up to `index`. Returns whether `match` grew; `next`
   * never moves back.
   */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Moves `next` past an append of entries up to `lastIndex`, before it is acknowledged. */
  optimisticUpdate(lastIndex: number): void {
    this.next = lastIndex + 1;
  }

  /**
   * Handles a rejected append of the entry after `rejected`, with the follower's hint of where
   * its log may match. Returns false when the rejection is stale (answers an older probe).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    this.#checkInvariant();
    return true;
  }

  /** Whether the leader must not send appends to this follower now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  #resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotElapsedTicks = 0;
    this.state = state;
    this.inflights.reset();
  }

  #checkInvariant(): void {
    assert(this.match < this.next, `progress match ${this.match} not below next ${this.next}`);
  }
}
