/**
 * The Raft replication core of Strata and its multi-Raft runtime.
 *
 * - `Raft` / `RawNode`: one replica of one group, a pure state machine driven by ticks and
 *   messages that returns Ready batches (see `raw_node.ts` for the caller's duties).
 * - `MultiRaftNode`: all groups of one node over one transport, clock and storage, with batched
 *   messages and coalesced heartbeats.
 * - `message_codec.ts`: the CBOR peer format documented in `cluster/FORMAT.md`.
 *
 * The seeded fault simulator lives in `testing/` (`deno task sim`).
 *
 * @module
 */

export * from "./types.ts";
export {
  type ConfChange,
  ConfChangeType,
  decodeConfChange,
  encodeConfChange,
} from "./conf_change.ts";
export {
  type InitialState,
  LogCompactedError,
  type LogStorage,
  MemoryLogStorage,
  SnapshotUnavailableError,
} from "./log_storage.ts";
export {
  type ProposalRejection,
  type ProposalResult,
  Raft,
  type RaftConfig,
  type RandomSource,
  type ReadMode,
} from "./raft.ts";
export { type RaftStatus, RawNode, type Ready } from "./raw_node.ts";
export { MultiRaftNode, type MultiRaftOptions } from "./multi_raft.ts";
export type * from "./runtime_interfaces.ts";
export {
  decodePeerBatch,
  encodePeerBatch,
  PEER_BATCH_VERSION,
  RaftCodecError,
} from "./message_codec.ts";
