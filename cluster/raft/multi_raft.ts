/**
 * The multi-Raft runtime of one node: many groups sharing one transport, one clock, one storage
 * and one processing loop.
 *
 * Each flush collects the Ready of every group into one storage write, so one sync serves all
 * groups (group commit). Once the write completes, the flush sends all groups' messages as one
 * batch per peer, with heartbeats and heartbeat responses coalesced into compact per-group
 * records. Committed entries are then applied and reads released. Only one write is in flight at a time; inputs that arrive
 * meanwhile are stepped at once and flushed by the next write.
 *
 * Replica ids within a group equal node ids, so a message's `to` names the peer node.
 *
 * Runs on the request path of a node (or inside the simulator). Peer input addressed to another
 * node is dropped and logged. Input that contradicts a core invariant (for example an append
 * that would replace a committed entry) fails an assertion, which stops the node.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import { type Logger, silentLogger } from "../../util/logger.ts";
import {
  type ConfChange,
  ConfChangeType,
  decodeConfChange,
  encodeConfChange,
} from "./conf_change.ts";
import { MemoryLogStorage } from "./log_storage.ts";
import type { ProposalResult, ReadMode } from "./raft.ts";
import { type RaftStatus, RawNode, type Ready } from "./raw_node.ts";
import type {
  Clock,
  CoalescedHeartbeat,
  GroupId,
  GroupMessage,
  GroupWrite,
  PeerBatch,
  Random,
  StateMachine,
  Storage,
  TimerHandle,
  Transport,
} from "./runtime_interfaces.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  makeMessage,
  MessageType,
  RaftRole,
} from "./types.ts";
import type { Message, NodeId } from "./types.ts";

/** Settings shared by every group on the node. */
export interface MultiRaftOptions {
  nodeId: NodeId;
  transport: Transport;
  clock: Clock;
  random: Random;
  storage: Storage;
  tickIntervalMs: number;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  readMode?: ReadMode;
  clockDriftBoundTicks?: number;
  maxInflightMessages?: number;
  maxMessageSizeBytes?: number;
  /** Take a local snapshot once this many entries were applied since the last one. */
  snapshotIntervalEntries: number;
  /** Entries kept before a local snapshot's index, so slightly slow followers avoid a snapshot. */
  snapshotKeepEntries: number;
  /** Called after each committed entry (of any type) is applied on this node, in order. */
  onApplied?: (groupId: GroupId, entry: Entry) => void;
  /** Called after a snapshot from the leader replaced a group's state on this node. */
  onSnapshotRestored?: (groupId: GroupId, index: number) => void;
  logger?: Logger;
  /** Passed to every group's core; see `RaftConfig.testingGrantVotesToShorterLogs`. */
  testingGrantVotesToShorterLogs?: boolean;
}

/** A read waiting for confirmation or for the state machine to catch up. */
interface PendingRead {
  readonly callback: (confirmed: boolean) => void;
  /** Set once the leader confirmed the read. */
  index?: number;
}

/** One group's replica on this node. */
interface GroupReplica {
  readonly groupId: GroupId;
  readonly rawNode: RawNode;
  readonly logStorage: MemoryLogStorage;
  readonly stateMachine: StateMachine;
  confState: ConfState;
  lastSnapshotIndex: number;
  readonly pendingReads: Map<number, PendingRead>;
}

/** Many Raft groups on one node. */
export class MultiRaftNode {
  readonly nodeId: NodeId;
  readonly #options: MultiRaftOptions;
  readonly #groups = new Map<GroupId, GroupReplica>();
  readonly #logger: Logger;
  #tickTimer: TimerHandle | undefined;
  #writeInFlight = false;
  #stopped = false;
  #nextReadRequestId = 1;

  constructor(options: MultiRaftOptions) {
    assert(options.tickIntervalMs > 0, "tick interval must be positive");
    assert(options.snapshotIntervalEntries >= 1, "snapshot interval must be at least 1 entry");
    this.nodeId = options.nodeId;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ node: options.nodeId });
  }

  /**
   * Opens a group from storage. A group with no stored state starts empty, unless
   * `initialVoters` is given: then it is bootstrapped with those voters, which every initial
   * member must do identically. A replica added later must start empty.
   */
  addGroup(
    groupId: GroupId,
    stateMachine: StateMachine,
    options: { initialVoters?: readonly NodeId[] } = {},
  ): void {
    assert(!this.#groups.has(groupId), `group ${groupId} already open`);
    const logStorage = new MemoryLogStorage();
    const persisted = this.#options.storage.load(groupId);
    if (persisted) {
      logStorage.applySnapshot(persisted.snapshot);
      logStorage.append(persisted.entries);
      logStorage.hardState = persisted.hardState;
      if (persisted.snapshot.metadata.index > 0) stateMachine.restore(persisted.snapshot.data);
    } else if (options.initialVoters) {
      this.#bootstrap(groupId, logStorage, options.initialVoters);
    }
    const snapshotMetadata = logStorage.snapshot().metadata;
    const rawNode = new RawNode({
      id: this.nodeId,
      storage: logStorage,
      random: this.#options.random,
      electionTimeoutTicks: this.#options.electionTimeoutTicks,
      heartbeatIntervalTicks: this.#options.heartbeatIntervalTicks,
      applied: snapshotMetadata.index,
      preVote: this.#options.preVote,
      checkQuorum: this.#options.checkQuorum,
      readMode: this.#options.readMode,
      clockDriftBoundTicks: this.#options.clockDriftBoundTicks,
      maxInflightMessages: this.#options.maxInflightMessages,
      maxMessageSizeBytes: this.#options.maxMessageSizeBytes,
      logger: (this.#options.logger ?? silentLogger).child({ group: groupId }),
      testingGrantVotesToShorterLogs: this.#options.testingGrantVotesToShorterLogs,
    });
    this.#groups.set(groupId, {
      groupId,
      rawNode,
      logStorage,
      stateMachine,
      confState: snapshotMetadata.confState,
      lastSnapshotIndex: snapshotMetadata.index,
      pendingReads: new Map(),
    });
  }

  /** Starts ticking. */
  start(): void {
    assert(!this.#stopped, "a stopped node cannot restart; create a new one");
    this.#scheduleTick();
    this.#logger.info("raft.node_started", { groups: this.#groups.size });
  }

  /** Stops ticking and drops every callback; models both shutdown and crash. */
  stop(): void {
    this.#stopped = true;
    if (this.#tickTimer !== undefined) this.#options.clock.clearTimer(this.#tickTimer);
    this.#tickTimer = undefined;
    this.#logger.info("raft.node_stopped", {});
  }

  /** Steps every message of a batch received from a peer. */
  receive(batch: PeerBatch): void {
    if (this.#stopped) return;
    if (batch.to !== this.nodeId) {
      this.#logger.warn("raft.batch_misrouted", { from: batch.from, to: batch.to });
      return;
    }
    for (const { groupId, message } of batch.messages) this.#step(groupId, message);
    for (const heartbeat of batch.heartbeats) {
      this.#step(heartbeat.groupId, expandHeartbeat(batch, heartbeat, MessageType.Heartbeat));
    }
    for (const response of batch.heartbeatResponses) {
      this.#step(response.groupId, expandHeartbeat(batch, response, MessageType.HeartbeatResponse));
    }
    this.#process();
  }

  /** Proposes an application command to `groupId`. */
  propose(groupId: GroupId, data: Uint8Array): ProposalResult {
    const result = this.#group(groupId).rawNode.propose(data);
    this.#process();
    return result;
  }

  /** Proposes a membership change to `groupId`. */
  proposeConfChange(groupId: GroupId, change: ConfChange): ProposalResult {
    const result = this.#group(groupId).rawNode.proposeConfChange(change);
    this.#process();
    return result;
  }

  /**
   * Requests a linearizable read of `groupId`. `callback(true)` runs once the local state
   * machine reflects every write acknowledged before the call. `callback(false)` runs at once if
   * this node does not lead, or later if it stops leading before the read is confirmed. A read
   * still unconfirmed when the node stops never calls back.
   */
  read(groupId: GroupId, callback: (confirmed: boolean) => void): void {
    const group = this.#group(groupId);
    const requestId = this.#nextReadRequestId++;
    if (!group.rawNode.readIndex(requestId)) {
      callback(false);
      return;
    }
    group.pendingReads.set(requestId, { callback });
    this.#process();
  }

  /** Asks the leader of `groupId` on this node to hand leadership to `target`. */
  transferLeadership(groupId: GroupId, target: NodeId): boolean {
    const started = this.#group(groupId).rawNode.transferLeadership(target);
    this.#process();
    return started;
  }

  /** Starts an election in `groupId` now. */
  campaign(groupId: GroupId): void {
    this.#group(groupId).rawNode.campaign();
    this.#process();
  }

  /** Tells every group that messages to `peer` are failing. */
  reportUnreachable(peer: NodeId): void {
    for (const group of this.#groups.values()) {
      group.rawNode.reportUnreachable(peer);
      group.rawNode.reportSnapshot(peer, false);
    }
  }

  status(groupId: GroupId): RaftStatus {
    return this.#group(groupId).rawNode.status();
  }

  /** Returns the core of `groupId`, for checkers in tests. */
  rawNode(groupId: GroupId): RawNode {
    return this.#group(groupId).rawNode;
  }

  groupIds(): GroupId[] {
    return [...this.#groups.keys()];
  }

  // ---- Processing ---------------------------------------------------------------------------

  #group(groupId: GroupId): GroupReplica {
    const group = this.#groups.get(groupId);
    assert(group !== undefined, `group ${groupId} is not open on node ${this.nodeId}`);
    return group;
  }

  #step(groupId: GroupId, message: Message): void {
    // A message for a group not open here (for example one this node left) is dropped.
    const group = this.#groups.get(groupId);
    if (!group) return;
    if (message.to !== this.nodeId) {
      this.#logger.warn("raft.message_misrouted", {
        group: groupId,
        from: message.from,
        to: message.to,
      });
      return;
    }
    group.rawNode.step(message);
  }

  #scheduleTick(): void {
    this.#tickTimer = this.#options.clock.setTimer(this.#options.tickIntervalMs, () => {
      if (this.#stopped) return;
      for (const group of this.#groups.values()) group.rawNode.tick();
      this.#process();
      this.#scheduleTick();
    });
  }

  /** Starts a flush if none is in flight and any group has output. */
  #process(): void {
    if (this.#writeInFlight || this.#stopped) return;
    const readies: [GroupReplica, Ready][] = [];
    for (const group of this.#groups.values()) {
      if (group.rawNode.hasReady()) readies.push([group, group.rawNode.ready()]);
    }
    if (readies.length === 0) return;
    const writes: GroupWrite[] = [];
    let sync = false;
    for (const [group, ready] of readies) {
      sync ||= ready.mustSync;
      if (ready.entries.length > 0 || ready.hardState || ready.snapshot) {
        writes.push({
          groupId: group.groupId,
          snapshot: ready.snapshot,
          entries: ready.entries,
          hardState: ready.hardState,
        });
      }
    }
    this.#writeInFlight = true;
    this.#options.storage.write(writes, sync, () => {
      if (this.#stopped) return;
      this.#writeInFlight = false;
      this.#afterWrite(readies);
      this.#process();
    });
  }

  #afterWrite(readies: [GroupReplica, Ready][]): void {
    for (const [group, ready] of readies) {
      if (ready.snapshot) group.logStorage.applySnapshot(ready.snapshot);
      group.logStorage.append(ready.entries);
      if (ready.hardState) group.logStorage.hardState = ready.hardState;
    }
    this.#sendMessages(readies);
    const localSnapshots: GroupWrite[] = [];
    for (const [group, ready] of readies) {
      this.#applyReady(group, ready);
      group.rawNode.advance(ready);
      this.#releaseReads(group);
      const snapshotWrite = this.#maybeSnapshot(group);
      if (snapshotWrite) localSnapshots.push(snapshotWrite);
    }
    if (localSnapshots.length > 0) {
      // Compaction is not urgent: losing it at a crash only means replaying more entries.
      this.#options.storage.write(localSnapshots, false, () => {});
    }
  }

  #sendMessages(readies: [GroupReplica, Ready][]): void {
    const batches = new Map<NodeId, PeerBatchBuilder>();
    for (const [group, ready] of readies) {
      for (const message of ready.messages) {
        let builder = batches.get(message.to);
        if (!builder) {
          builder = { messages: [], heartbeats: [], heartbeatResponses: [] };
          batches.set(message.to, builder);
        }
        addToBatch(builder, group.groupId, message);
      }
    }
    for (const [to, builder] of batches) {
      this.#options.transport.send({ from: this.nodeId, to, ...builder });
    }
  }

  #applyReady(group: GroupReplica, ready: Ready): void {
    if (ready.snapshot) {
      group.stateMachine.restore(ready.snapshot.data);
      group.confState = ready.snapshot.metadata.confState;
      group.lastSnapshotIndex = ready.snapshot.metadata.index;
      this.#options.onSnapshotRestored?.(group.groupId, ready.snapshot.metadata.index);
    }
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.ConfChange) {
        group.confState = group.rawNode.applyConfChange(decodeConfChange(entry.data));
      } else if (entry.data.byteLength > 0) {
        group.stateMachine.apply(entry);
      }
      this.#options.onApplied?.(group.groupId, entry);
    }
    for (const readState of ready.readStates) {
      const pending = group.pendingReads.get(readState.requestId);
      if (pending) pending.index = readState.index;
    }
    if (ready.softState && ready.softState.role !== RaftRole.Leader) {
      this.#failUnconfirmedReads(group);
    }
  }

  /** Fails reads that a lost leadership can no longer confirm, so callers retry elsewhere. */
  #failUnconfirmedReads(group: GroupReplica): void {
    for (const [requestId, pending] of group.pendingReads) {
      if (pending.index !== undefined) continue;
      group.pendingReads.delete(requestId);
      pending.callback(false);
    }
  }

  #releaseReads(group: GroupReplica): void {
    const applied = group.rawNode.raft.log.applied;
    for (const [requestId, pending] of group.pendingReads) {
      if (pending.index === undefined || pending.index > applied) continue;
      group.pendingReads.delete(requestId);
      pending.callback(true);
    }
  }

  #maybeSnapshot(group: GroupReplica): GroupWrite | undefined {
    const applied = group.rawNode.raft.log.applied;
    if (applied - group.lastSnapshotIndex < this.#options.snapshotIntervalEntries) return;
    const data = group.stateMachine.snapshot();
    const snapshot = group.logStorage.createSnapshot(applied, group.confState, data);
    const compactIndex = Math.max(
      group.logStorage.firstIndex() - 1,
      applied - this.#options.snapshotKeepEntries,
    );
    group.logStorage.compact(compactIndex);
    group.lastSnapshotIndex = applied;
    this.#logger.debug("raft.snapshot_taken", { group: group.groupId, index: applied });
    return { groupId: group.groupId, entries: [], localSnapshot: { snapshot, compactIndex } };
  }

  #bootstrap(groupId: GroupId, logStorage: MemoryLogStorage, voters: readonly NodeId[]): void {
    assert(voters.length > 0, "bootstrap needs at least one voter");
    const entries: Entry[] = voters.map((nodeId, position) => ({
      index: position + 1,
      term: 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddVoter, nodeId }),
    }));
    const hardState = { term: 1, vote: 0, commit: entries.length };
    logStorage.append(entries);
    logStorage.hardState = hardState;
    this.#options.storage.write([{ groupId, entries, hardState }], true, () => {});
  }
}

interface PeerBatchBuilder {
  messages: GroupMessage[];
  heartbeats: CoalescedHeartbeat[];
  heartbeatResponses: CoalescedHeartbeat[];
}

function addToBatch(builder: PeerBatchBuilder, groupId: GroupId, message: Message): void {
  const { term, commit, context } = message;
  if (message.type === MessageType.Heartbeat) {
    builder.heartbeats.push({ groupId, term, commit, context });
  } else if (message.type === MessageType.HeartbeatResponse) {
    builder.heartbeatResponses.push({ groupId, term, commit: 0, context });
  } else {
    builder.messages.push({ groupId, message });
  }
}

function expandHeartbeat(
  batch: PeerBatch,
  heartbeat: CoalescedHeartbeat,
  type: MessageType,
): Message {
  return makeMessage({
    type,
    to: batch.to,
    from: batch.from,
    term: heartbeat.term,
    commit: heartbeat.commit,
    context: heartbeat.context,
  });
}
