/**
 * Interfaces the multi-Raft runtime needs from its host: a transport to peer nodes, a clock with
 * timers, randomness, durable storage and one state machine per group.
 *
 * The simulator (`testing/`) implements all of them in one process with seeded faults. A real
 * node implements them over TCP (CBOR frames, `cluster/FORMAT.md` "Peer batch"), the system clock
 * and the storage engine. Completion is reported through callbacks rather than promises so that
 * the simulator decides exactly when each completion runs.
 *
 * @module
 */

import type { Entry, HardState, Message, NodeId, Snapshot } from "./types.ts";

/** Identifier of a Raft group (a partition's replica group) within the cluster. */
export type GroupId = number;

/** A full Raft message of one group. */
export interface GroupMessage {
  readonly groupId: GroupId;
  readonly message: Message;
}

/**
 * A heartbeat or heartbeat response of one group in compact form. Sender and receiver are the
 * batch's nodes; the replica ids within every group equal the node ids.
 */
export interface CoalescedHeartbeat {
  readonly groupId: GroupId;
  readonly term: number;
  /** Heartbeats only: the commit index the receiver may adopt. 0 in responses. */
  readonly commit: number;
  /** Read round being confirmed, or 0. */
  readonly context: number;
}

/** Everything one node sends another in one flush: all groups' messages, coalesced. */
export interface PeerBatch {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly messages: readonly GroupMessage[];
  readonly heartbeats: readonly CoalescedHeartbeat[];
  readonly heartbeatResponses: readonly CoalescedHeartbeat[];
}

/** Best-effort delivery of batches to peers. */
export interface Transport {
  /**
   * Queues `batch` for delivery to `batch.to`. Delivery may fail silently, because the runtime relies
   * on Raft's retries. A transport that detects a failure may call
   * `MultiRaftNode.reportUnreachable`.
   */
  send(batch: PeerBatch): void;
}

/** Opaque handle of a scheduled timer. */
export type TimerHandle = number;

/** Time source and timers. */
export interface Clock {
  /** Milliseconds since an arbitrary fixed origin; never decreases. */
  nowMs(): number;
  /** Runs `callback` once after `delayMs`. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Randomness, seeded in tests. */
export interface Random {
  /** Returns an integer in [0, bound). */
  intBelow(bound: number): number;
  /** Returns a float in [0, 1). */
  nextFloat(): number;
}

/** Durable changes to one group, from one Ready or one local snapshot. */
export interface GroupWrite {
  readonly groupId: GroupId;
  /** A snapshot received from the leader: replaces the group's whole log. Applied first. */
  readonly snapshot?: Snapshot;
  /** Entries to store after cutting the stored log at the first one's index. */
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
  /**
   * A snapshot the local state machine took: stored, and the log compacted up to and including
   * `compactIndex` (at most the snapshot's index).
   */
  readonly localSnapshot?: { readonly snapshot: Snapshot; readonly compactIndex: number };
}

/** Persisted state of one group, as storage returns it at start. */
export interface PersistedGroup {
  readonly hardState: HardState;
  readonly snapshot: Snapshot;
  /** Entries after the compaction point, in index order. */
  readonly entries: readonly Entry[];
}

/** Durable Raft state of every group on a node, written as one batch per flush. */
export interface Storage {
  /**
   * Writes `writes` in order. With `sync`, calls `onDone` once they and every earlier write are
   * durable; without it, once written (a crash may lose them). Writes complete in call order.
   */
  write(writes: readonly GroupWrite[], sync: boolean, onDone: () => void): void;
  /** The persisted state of `groupId`, or undefined for a group never written. */
  load(groupId: GroupId): PersistedGroup | undefined;
}

/** The application state of one group, driven by committed entries. */
export interface StateMachine {
  /** Applies a normal entry (membership entries are handled by the runtime). */
  apply(entry: Entry): void;
  /** Serializes the whole state, as of the last applied entry. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a serialized one. */
  restore(data: Uint8Array): void;
}
