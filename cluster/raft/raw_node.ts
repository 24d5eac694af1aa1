/**
 * The application's handle on one replica: feeds inputs to {@linkcode Raft} and hands back its
 * outputs as {@linkcode Ready} batches.
 *
 * The caller's duties, in order, for each Ready:
 * 1. Persist `snapshot` (if any), then `entries`, then `hardState` (if any). When `mustSync` is
 *    set they must be durable (fsync) before step 2; otherwise they may be written lazily,
 *    because losing them at a crash is safe.
 * 2. Send `messages`.
 * 3. Restore the state machine from `snapshot` (if any), then apply `committedEntries` in order,
 *    calling `applyConfChange` for each membership change entry.
 * 4. Serve each read in `readStates` once the state machine has applied its index.
 * 5. Call `advance(ready)`. No new Ready may be taken before that, but `step`, `tick` and
 *    proposals may be called at any time, even while a Ready is being persisted.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import type { ConfChange } from "./conf_change.ts";
import type { Progress } from "./progress.ts";
import { type ProposalResult, Raft, type RaftConfig } from "./raft.ts";
import {
  type ConfState,
  type Entry,
  type HardState,
  hardStatesEqual,
  type Message,
  type NodeId,
  RaftRole,
  type ReadState,
  type Snapshot,
  type SoftState,
} from "./types.ts";

/** One batch of outputs of a replica. */
export interface Ready {
  /** Set when leader or role changed since the previous Ready. */
  readonly softState?: SoftState;
  /** Set when term, vote or commit changed since the previous Ready. */
  readonly hardState?: HardState;
  /** Entries to persist, after cutting the stored log at the first one. */
  readonly entries: readonly Entry[];
  /** Snapshot to persist and restore, replacing the whole log. */
  readonly snapshot?: Snapshot;
  /** Entries to apply, in order. They are durable once step 1 above is done. */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Whether step 1 must fsync before messages are sent. */
  readonly mustSync: boolean;
}

/** A summary of a replica's state, for status pages and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly role: RaftRole;
  readonly leader: NodeId;
  readonly confState: ConfState;
  /** Leader only: progress of each member. */
  readonly progress?: ReadonlyMap<NodeId, Readonly<Progress>>;
}

/** Ready-based interface to one replica. */
export class RawNode {
  readonly raft: Raft;
  #previousSoftState: SoftState;
  #previousHardState: HardState;
  #readyOutstanding = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.#previousSoftState = this.#softState();
    this.#previousHardState = this.#hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): void {
    this.raft.campaign();
  }

  step(message: Message): void {
    assert(message.to === this.raft.id, `message for ${message.to} stepped into ${this.raft.id}`);
    this.raft.step(message);
  }

  propose(data: Uint8Array): ProposalResult {
    return this.raft.propose(data);
  }

  proposeConfChange(change: ConfChange): ProposalResult {
    return this.raft.proposeConfChange(change);
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  readIndex(requestId: number): boolean {
    return this.raft.readIndex(requestId);
  }

  transferLeadership(target: NodeId): boolean {
    return this.raft.transferLeadership(target);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, delivered: boolean): void {
    this.raft.reportSnapshot(id, delivered);
  }

  /** Whether `ready()` would return anything. */
  hasReady(): boolean {
    if (this.#readyOutstanding) return false;
    const raft = this.raft;
    const soft = this.#softState();
    return raft.messages.length > 0 || raft.readStates.length > 0 ||
      raft.log.unstable.entries.length > 0 || raft.log.unstable.snapshot !== undefined ||
      raft.log.hasNextCommittedEntries() ||
      !hardStatesEqual(this.#hardState(), this.#previousHardState) ||
      soft.leader !== this.#previousSoftState.leader || soft.role !== this.#previousSoftState.role;
  }

  /** Takes the pending outputs. Call `advance` with the result before the next `ready`. */
  ready(): Ready {
    assert(!this.#readyOutstanding, "ready() called before advance() of the previous Ready");
    const raft = this.raft;
    const softState = this.#softState();
    const hardState = this.#hardState();
    const softChanged = softState.leader !== this.#previousSoftState.leader ||
      softState.role !== this.#previousSoftState.role;
    const hardChanged = !hardStatesEqual(hardState, this.#previousHardState);
    const entries = raft.log.unstableEntries();
    const snapshot = raft.log.unstable.snapshot;
    const ready: Ready = {
      softState: softChanged ? softState : undefined,
      hardState: hardChanged ? hardState : undefined,
      entries,
      snapshot,
      committedEntries: raft.log.nextCommittedEntries(),
      messages: raft.messages,
      readStates: raft.readStates,
      mustSync: entries.length > 0 || snapshot !== undefined ||
        hardState.term !== this.#previousHardState.term ||
        hardState.vote !== this.#previousHardState.vote,
    };
    raft.messages = [];
    raft.readStates = [];
    if (softChanged) this.#previousSoftState = softState;
    this.#readyOutstanding = true;
    return ready;
  }

  /** Records that `ready` was persisted, sent and applied. */
  advance(ready: Ready): void {
    assert(this.#readyOutstanding, "advance() without an outstanding Ready");
    this.#readyOutstanding = false;
    const log = this.raft.log;
    if (ready.hardState) this.#previousHardState = ready.hardState;
    const lastEntry = ready.entries.at(-1);
    if (lastEntry) log.stableTo(lastEntry.index, lastEntry.term);
    if (ready.snapshot) {
      const index = ready.snapshot.metadata.index;
      log.stableSnapshotTo(index);
      if (index > log.applied) log.applied = index;
    }
    const lastApplied = ready.committedEntries.at(-1);
    if (lastApplied && lastApplied.index > log.applied) log.appliedTo(lastApplied.index);
    this.raft.onApplied();
  }

  status(): RaftStatus {
    const raft = this.raft;
    return {
      id: raft.id,
      term: raft.term,
      vote: raft.vote,
      commit: raft.log.committed,
      applied: raft.log.applied,
      lastIndex: raft.log.lastIndex(),
      role: raft.role,
      leader: raft.leader,
      confState: raft.tracker.confState(),
      progress: raft.role === RaftRole.Leader ? raft.tracker.progress : undefined,
    };
  }

  #softState(): SoftState {
    return { leader: this.raft.leader, role: this.raft.role };
  }

  #hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}
