/**
 * Helpers for scripted tests of the Raft core: replicas with in-memory storage and a fixed
 * election timeout, and a network that delivers messages between them in a deterministic order
 * until nothing is left to send.
 *
 * Persistence is immediate: after every step the harness moves unstable entries and snapshots
 * into storage, as an application would after each Ready.
 *
 * @module
 */

import { MemoryLogStorage } from "../log_storage.ts";
import { Raft, type RaftConfig } from "../raft.ts";
import { decodeConfChange } from "../conf_change.ts";
import { type Entry, EntryType, type Message, MessageType, type NodeId } from "../types.ts";

/** A random source that always returns 0, so the election timeout is exactly the minimum. */
export const zeroRandom = { intBelow: (_bound: number) => 0 };

/** Options of a test replica. */
export interface TestRaftOptions extends Partial<Omit<RaftConfig, "id" | "storage">> {
  learners?: NodeId[];
  /** Entries already in the replica's stable log, starting at index 1. */
  entries?: Entry[];
  term?: number;
  storage?: MemoryLogStorage;
}

/** Creates a replica whose storage starts with membership `voters` (and learners). */
export function newTestRaft(id: NodeId, voters: NodeId[], options: TestRaftOptions = {}): Raft {
  const storage = options.storage ?? new MemoryLogStorage();
  if (!options.storage) {
    storage.applySnapshot({
      metadata: { index: 0, term: 0, confState: { voters, learners: options.learners ?? [] } },
      data: new Uint8Array(0),
    });
    if (options.entries) storage.append(options.entries);
    if (options.term) storage.hardState = { term: options.term, vote: 0, commit: 0 };
  }
  return new Raft({
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
    random: zeroRandom,
    preVote: false,
    checkQuorum: false,
    ...options,
    id,
    storage,
  });
}

/** Builds entries of the given terms at indexes 1, 2, ... */
export function entriesWithTerms(terms: number[], firstIndex = 1): Entry[] {
  return terms.map((term, offset) => ({
    index: firstIndex + offset,
    term,
    type: 0,
    data: new TextEncoder().encode(`entry ${firstIndex + offset}`),
  }));
}

/** Moves a replica's unstable tail into its storage, as the application does after a Ready. */
export function persist(raft: Raft): void {
  const storage = raft.log.storage as MemoryLogStorage;
  const snapshot = raft.log.unstable.snapshot;
  if (snapshot) {
    storage.applySnapshot(snapshot);
    raft.log.stableSnapshotTo(snapshot.metadata.index);
  }
  const entries = raft.log.unstableEntries();
  const last = entries.at(-1);
  if (last) {
    storage.append(entries);
    raft.log.stableTo(last.index, last.term);
  }
}

/** Takes a replica's outgoing messages. */
export function takeMessages(raft: Raft): Message[] {
  const messages = raft.messages;
  raft.messages = [];
  return messages;
}

/** Replicas connected by a network that can drop links. */
export class TestNetwork {
  readonly replicas = new Map<NodeId, Raft>();
  /** Cut links, as "from>to". */
  readonly cutLinks = new Set<string>();
  /** Every message delivered, in order, for assertions. */
  readonly delivered: Message[] = [];

  constructor(replicas: Raft[]) {
    for (const raft of replicas) this.replicas.set(raft.id, raft);
  }

  get(id: NodeId): Raft {
    const raft = this.replicas.get(id);
    if (!raft) throw new Error(`no replica ${id}`);
    return raft;
  }

  /** Cuts both directions between `a` and every node in `others`. */
  isolate(a: NodeId, others: NodeId[] = [...this.replicas.keys()]): void {
    for (const b of others) {
      if (b === a) continue;
      this.cutLinks.add(`${a}>${b}`);
      this.cutLinks.add(`${b}>${a}`);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  /** Delivers every pending message, and the messages they cause, until none remain. */
  settle(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const pending: Message[] = [];
      for (const raft of this.replicas.values()) {
        persist(raft);
        pending.push(...takeMessages(raft));
      }
      if (pending.length === 0) return;
      for (const message of pending) this.deliver(message);
    }
    throw new Error("network did not settle");
  }

  /** Delivers one message unless its link is cut or its receiver is unknown. */
  deliver(message: Message): void {
    if (this.cutLinks.has(`${message.from}>${message.to}`)) return;
    const receiver = this.replicas.get(message.to);
    if (!receiver) return;
    this.delivered.push(message);
    receiver.step(message);
  }

  /** Ticks `id` until it has campaigned, then settles the network. */
  elect(id: NodeId): void {
    this.get(id).campaign();
    this.settle();
  }

  /** Proposes `text` at `id` and settles the network. */
  propose(id: NodeId, text: string): void {
    this.get(id).propose(new TextEncoder().encode(text));
    this.settle();
  }

  /** Ticks every replica `count` times, settling after each tick. */
  tickAll(count: number): void {
    for (let i = 0; i < count; i++) {
      for (const raft of this.replicas.values()) raft.tick();
      this.settle();
    }
  }
}

/** Messages of one type among `messages`. */
export function ofType(messages: readonly Message[], type: MessageType): Message[] {
  return messages.filter((message) => message.type === type);
}

/**
 * Applies a replica's committed entries as an application would: membership changes go to
 * `applyConfChange`, and the applied index advances. Returns the entries applied.
 */
export function applyCommitted(raft: Raft): Entry[] {
  const entries = raft.log.nextCommittedEntries();
  for (const entry of entries) {
    if (entry.type === EntryType.ConfChange) raft.applyConfChange(decodeConfChange(entry.data));
  }
  const last = entries.at(-1);
  if (last) {
    raft.log.appliedTo(last.index);
    raft.onApplied();
  }
  return entries;
}
