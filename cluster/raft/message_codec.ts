/**
 * CBOR encoding of peer batches and persisted Raft records, as laid out in `cluster/FORMAT.md`
 * ("Peer batch", "Group message", "Raft persisted state"). Every record is a CBOR array with its
 * fields in a fixed order, so the encoding is compact and needs no field names. A batch starts
 * with a format version.
 *
 * Decoding checks every field's type and every enum value and throws
 * {@linkcode RaftCodecError} on anything malformed, so a corrupt or hostile peer frame never
 * reaches the core.
 *
 * @module
 */

import { Encoder } from "cbor-x";
import type { CoalescedHeartbeat, GroupMessage, PeerBatch } from "./runtime_interfaces.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type Snapshot,
} from "./types.ts";

/**
 * Plain CBOR: byte strings without typed-array tags, arrays without cbor-x record extensions.
 */
const cbor = new Encoder(
  { tagUint8Array: false, useRecords: false } as ConstructorParameters<
    typeof Encoder
  >[0],
);

/** Version written as the first element of every peer batch. */
export const PEER_BATCH_VERSION = 1;

/** Thrown when bytes do not decode to a valid record. */
export class RaftCodecError extends Error {
  override name = "RaftCodecError";
}

/** Encodes a peer batch. */
export function encodePeerBatch(batch: PeerBatch): Uint8Array {
  return encode([
    PEER_BATCH_VERSION,
    batch.from,
    batch.to,
    batch.messages.map(groupMessageToArray),
    batch.heartbeats.map(heartbeatToArray),
    batch.heartbeatResponses.map(heartbeatToArray),
  ]);
}

/** Decodes a peer batch; throws {@linkcode RaftCodecError} when malformed. */
export function decodePeerBatch(bytes: Uint8Array): PeerBatch {
  const fields = expectArray(decodeBytes(bytes), 6, "peer batch");
  const version = expectInteger(fields[0], "peer batch version");
  if (version !== PEER_BATCH_VERSION) {
    throw new RaftCodecError(`unsupported peer batch version ${version}`);
  }
  return {
    from: expectInteger(fields[1], "batch from"),
    to: expectInteger(fields[2], "batch to"),
    messages: expectList(fields[3], "batch messages").map(groupMessageFromArray),
    heartbeats: expectList(fields[4], "batch heartbeats").map(heartbeatFromArray),
    heartbeatResponses: expectList(fields[5], "batch heartbeat responses").map(heartbeatFromArray),
  };
}

/** Encodes a hard state record. */
export function encodeHardState(hardState: HardState): Uint8Array {
  return encode([hardState.term, hardState.vote, hardState.commit]);
}

/** Decodes a hard state record. */
export function decodeHardState(bytes: Uint8Array): HardState {
  const fields = expectArray(decodeBytes(bytes), 3, "hard state");
  return {
    term: expectInteger(fields[0], "term"),
    vote: expectInteger(fields[1], "vote"),
    commit: expectInteger(fields[2], "commit"),
  };
}

/** Encodes one log entry record. */
export function encodeEntry(entry: Entry): Uint8Array {
  return encode(entryToArray(entry));
}

/** Decodes one log entry record. */
export function decodeEntry(bytes: Uint8Array): Entry {
  return entryFromArray(decodeBytes(bytes));
}

/** Encodes a snapshot record. */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  return encode(snapshotToArray(snapshot));
}

/** Decodes a snapshot record. */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  return snapshotFromArray(decodeBytes(bytes));
}

/**
 * Encodes `value` as CBOR. cbor-x writes integers of 2^32 and above as floats, so those become
 * BigInts first, which it writes as 64-bit unsigned integers (major type 0).
 */
function encode(value: unknown[]): Uint8Array {
  return cbor.encode(widenLargeIntegers(value));
}

function widenLargeIntegers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(widenLargeIntegers);
  if (typeof value === "number" && Number.isInteger(value) && value >= 2 ** 32) {
    return BigInt(value);
  }
  return value;
}

function decodeBytes(bytes: Uint8Array): unknown {
  try {
    return cbor.decode(bytes);
  } catch (error) {
    throw new RaftCodecError("invalid CBOR", { cause: error });
  }
}

function groupMessageToArray({ groupId, message }: GroupMessage): unknown[] {
  return [
    groupId,
    message.type,
    message.to,
    message.from,
    message.term,
    message.logTerm,
    message.index,
    message.commit,
    message.reject,
    message.rejectHint,
    message.context,
    message.entries.map(entryToArray),
    message.snapshot ? snapshotToArray(message.snapshot) : null,
  ];
}

function groupMessageFromArray(value: unknown): GroupMessage {
  const fields = expectArray(value, 13, "message");
  const type = expectInteger(fields[1], "message type");
  if (!Object.values(MessageType).includes(type as MessageType)) {
    throw new RaftCodecError(`unknown message type ${type}`);
  }
  if (typeof fields[8] !== "boolean") throw new RaftCodecError("message reject is not a boolean");
  const message: Message = {
    type: type as MessageType,
    to: expectInteger(fields[2], "message to"),
    from: expectInteger(fields[3], "message from"),
    term: expectInteger(fields[4], "message term"),
    logTerm: expectInteger(fields[5], "message log term"),
    index: expectInteger(fields[6], "message index"),
    commit: expectInteger(fields[7], "message commit"),
    reject: fields[8],
    rejectHint: expectInteger(fields[9], "message reject hint"),
    context: expectInteger(fields[10], "message context"),
    entries: expectList(fields[11], "message entries").map(entryFromArray),
    snapshot: fields[12] === null ? undefined : snapshotFromArray(fields[12]),
  };
  return { groupId: expectInteger(fields[0], "group id"), message };
}

function heartbeatToArray(heartbeat: CoalescedHeartbeat): unknown[] {
  return [heartbeat.groupId, heartbeat.term, heartbeat.commit, heartbeat.context];
}

function heartbeatFromArray(value: unknown): CoalescedHeartbeat {
  const fields = expectArray(value, 4, "heartbeat");
  return {
    groupId: expectInteger(fields[0], "heartbeat group id"),
    term: expectInteger(fields[1], "heartbeat term"),
    commit: expectInteger(fields[2], "heartbeat commit"),
    context: expectInteger(fields[3], "heartbeat context"),
  };
}

function entryToArray(entry: Entry): unknown[] {
  return [entry.index, entry.term, entry.type, entry.data];
}

function entryFromArray(value: unknown): Entry {
  const fields = expectArray(value, 4, "entry");
  const type = expectInteger(fields[2], "entry type");
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
    throw new RaftCodecError(`unknown entry type ${type}`);
  }
  return {
    index: expectInteger(fields[0], "entry index"),
    term: expectInteger(fields[1], "entry term"),
    type,
    data: expectBytes(fields[3], "entry data"),
  };
}

function snapshotToArray(snapshot: Snapshot): unknown[] {
  const { index, term, confState } = snapshot.metadata;
  return [index, term, [...confState.voters], [...confState.learners], snapshot.data];
}

function snapshotFromArray(value: unknown): Snapshot {
  const fields = expectArray(value, 5, "snapshot");
  const confState: ConfState = {
    voters: expectList(fields[2], "snapshot voters").map((id) => expectInteger(id, "voter")),
    learners: expectList(fields[3], "snapshot learners").map((id) => expectInteger(id, "learner")),
  };
  return {
    metadata: {
      index: expectInteger(fields[0], "snapshot index"),
      term: expectInteger(fields[1], "snapshot term"),
      confState,
    },
    data: expectBytes(fields[4], "snapshot data"),
  };
}

function expectArray(value: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new RaftCodecError(`${what} is not an array of ${length} fields`);
  }
  return value;
}

function expectList(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new RaftCodecError(`${what} is not an array`);
  return value;
}

function expectInteger(value: unknown, what: string): number {
  if (typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(value);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RaftCodecError(`${what} is not a non-negative safe integer: ${String(value)}`);
  }
  return value;
}

function expectBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new RaftCodecError(`${what} is not a byte string`);
  // Copies out of the decode buffer, so the entry does not pin the whole frame.
  return new Uint8Array(value);
}
