/**
 * Types shared by the Raft core, its runtime and the peer wire format: log entries, hard state,
 * snapshots, membership and messages.
 *
 * Every numeric enum here is stored in the log or sent between nodes, so its values are frozen:
 * never renumber one, only add new values. `cluster/FORMAT.md` ("Enumerations", "Group message"
 * and "Raft persisted state") documents the same fields and values.
 *
 * Indexes and terms are JavaScript numbers. They start at 1, 0 means "none", and they stay far
 * below 2^53 in any realistic cluster lifetime.
 *
 * @module
 */

/** Identifier of a replica within one Raft group. Positive; {@linkcode NO_NODE} means none. */
export type NodeId = number;

/** The absent node id, used for "no leader" and "no vote". */
export const NO_NODE: NodeId = 0;

/** Kind of a log entry. Frozen values. */
export const EntryType = {
  /** Application command (or the empty entry a new leader appends). */
  Normal: 0,
  /** A membership change, encoded by `conf_change.ts`. */
  ConfChange: 1,
} as const;
/** Kind of a log entry. */
export type EntryType = typeof EntryType[keyof typeof EntryType];

/** One log entry. `index` and `term` identify it; `data` is opaque to the core. */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be durable before the messages of the same Ready are sent. */
export interface HardState {
  /** Latest term this replica has seen. */
  readonly term: number;
  /** Candidate voted for in `term`, or {@linkcode NO_NODE}. */
  readonly vote: NodeId;
  /** Highest index known committed. May be persisted lazily: a lower value is safe on restart. */
  readonly commit: number;
}

/** The empty hard state of a new replica. */
export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NO_NODE, commit: 0 };

/** Group membership: voters decide elections and commits, learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** Position of a snapshot in the log, and the membership in force at that index. */
export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state machine image that replaces the log up to `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/** The snapshot of an empty log, at index 0. */
export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
  data: new Uint8Array(0),
};

/** Message kinds on the wire. Frozen values. */
export const MessageType = {
  AppendEntries: 1,
  AppendEntriesResponse: 2,
  RequestVote: 3,
  RequestVoteResponse: 4,
  RequestPreVote: 5,
  RequestPreVoteResponse: 6,
  Heartbeat: 7,
  HeartbeatResponse: 8,
  InstallSnapshot: 9,
  TimeoutNow: 10,
} as const;
/** Message kinds on the wire. */
export type MessageType = typeof MessageType[keyof typeof MessageType];

/** `Message.context` value that marks a vote request sent after a leadership transfer. */
export const CAMPAIGN_TRANSFER_CONTEXT = 1;

/**
 * One Raft message. Fields a type does not use are 0, false or empty; `cluster/FORMAT.md` lists
 * which fields each type reads.
 */
export interface Message {
  readonly type: MessageType;
  readonly to: NodeId;
  readonly from: NodeId;
  readonly term: number;
  /** Term of the entry at `index` (appends, votes) or of the rejection hint (append responses). */
  readonly logTerm: number;
  /** Index before `entries` (appends), last index (votes), acknowledged index (responses). */
  readonly index: number;
  readonly entries: readonly Entry[];
  /** Sender's commit index, capped for heartbeats at what the receiver is known to hold. */
  readonly commit: number;
  readonly reject: boolean;
  /** On a rejected append: the index the follower suggests probing next. */
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /**
   * Heartbeats and their responses: the leader's read round. Vote requests:
   * {@linkcode CAMPAIGN_TRANSFER_CONTEXT} when the campaign follows a leadership transfer.
   */
  readonly context: number;
}

/** Role of a replica. Frozen values (reported in status and logs). */
export const RaftRole = {
  Follower: 0,
  PreCandidate: 1,
  Candidate: 2,
  Leader: 3,
} as const;
/** Role of a replica. */
export type RaftRole = typeof RaftRole[keyof typeof RaftRole];

/** Names of {@linkcode RaftRole} values, for logs. */
export const RAFT_ROLE_NAMES: Record<RaftRole, string> = {
  0: "follower",
  1: "pre-candidate",
  2: "candidate",
  3: "leader",
};

/** Volatile state reported to the application when it changes. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: RaftRole;
}

/**
 * A linearizable read is ready once the state machine has applied `index`: serving it from the
 * local state machine then returns every write acknowledged before the read was requested.
 */
export interface ReadState {
  readonly index: number;
  readonly requestId: number;
}

/** Builds a message with every unused field zeroed. */
export function makeMessage(
  fields: Pick<Message, "type" | "to" | "from" | "term"> & Partial<Message>,
): Message {
  return {
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: 0,
    ...fields,
  };
}

/** Returns whether `hardState` is the empty state of a replica that never ran. */
export function isEmptyHardState(hardState: HardState): boolean {
  return hardState.term === 0 && hardState.vote === NO_NODE && hardState.commit === 0;
}

/** Returns whether two hard states are equal. */
export function hardStatesEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
