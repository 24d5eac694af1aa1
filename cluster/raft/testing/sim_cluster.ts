/**
 * The simulated nodes of one simulation: each node runs a {@linkcode MultiRaftNode} with one
 * key-value state machine per group, on the simulated network, disk and clock. A crash throws
 * away everything in memory and keeps only what the disk made durable; a restart rebuilds the
 * node from that.
 *
 * @module
 */

import { MultiRaftNode } from "../multi_raft.ts";
import type { ReadMode } from "../raft.ts";
import type { GroupId } from "../runtime_interfaces.ts";
import { type Entry, EntryType, type NodeId, RaftRole } from "../types.ts";
import { decodeCommand, type KvOutput, KvStateMachine } from "./kv_state_machine.ts";
import type { SeededRandom } from "./random.ts";
import type { SafetyChecker } from "./safety_checker.ts";
import { SimDisk } from "./sim_storage.ts";
import type { SimNetwork } from "./sim_network.ts";
import type { SimScheduler } from "./sim_scheduler.ts";

/** Settings of the simulated Raft nodes. */
export interface ClusterSettings {
  nodeIds: readonly NodeId[];
  /** Nodes that bootstrap every group as its initial voters; the others start empty. */
  initialVoters: readonly NodeId[];
  groupIds: readonly GroupId[];
  tickIntervalMs: number;
  /** Per node: tick interval multiplier, modelling clock drift. */
  tickRates: ReadonlyMap<NodeId, number>;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  readMode: ReadMode;
  clockDriftBoundTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  snapshotIntervalEntries: number;
  snapshotKeepEntries: number;
  diskLatencyMs: { minMs: number; maxMs: number };
  testingGrantVotesToShorterLogs: boolean;
}

/** One simulated node; its disk outlives crashes. */
export interface SimNode {
  readonly id: NodeId;
  readonly disk: SimDisk;
  runtime: MultiRaftNode | undefined;
  stateMachines: Map<GroupId, KvStateMachine>;
  /** Writes proposed through this node, waiting to be applied here: opId → completion. */
  pendingWrites: Map<number, (output: KvOutput) => void>;
}

/** All simulated nodes. */
export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly #settings: ClusterSettings;
  readonly #scheduler: SimScheduler;
  readonly #network: SimNetwork;
  readonly #random: SeededRandom;
  readonly #checker: SafetyChecker;
  crashCount = 0;
  /** Snapshots received from a leader and installed. */
  snapshotsInstalled = 0;

  constructor(
    settings: ClusterSettings,
    parts: {
      scheduler: SimScheduler;
      network: SimNetwork;
      random: SeededRandom;
      checker: SafetyChecker;
    },
  ) {
    this.#settings = settings;
    this.#scheduler = parts.scheduler;
    this.#network = parts.network;
    this.#random = parts.random;
    this.#checker = parts.checker;
    for (const id of settings.nodeIds) {
      const disk = new SimDisk(parts.scheduler, parts.random.fork(), settings.diskLatencyMs);
      this.nodes.set(id, {
        id,
        disk,
        runtime: undefined,
        stateMachines: new Map(),
        pendingWrites: new Map(),
      });
    }
  }

  get settings(): ClusterSettings {
    return this.#settings;
  }

  /** Starts (or restarts) node `id` from its disk. */
  start(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (node.runtime) return;
    const runtime = this.#createRuntime(node);
    node.runtime = runtime;
    node.stateMachines = new Map();
    node.pendingWrites = new Map();

    const settings = this.#settings;
    const bootstrap = settings.initialVoters.includes(id) ? settings.initialVoters : undefined;
    for (const groupId of settings.groupIds) {
      const machine = new KvStateMachine();
      node.stateMachines.set(groupId, machine);
      runtime.addGroup(groupId, machine, { initialVoters: bootstrap });
      this.#checker.observeHash(groupId, id, machine.lastAppliedIndex, machine.appliedHash);
    }
    this.#network.attach(id, (batch) => runtime.receive(batch));
    runtime.start();
  }

  #createRuntime(node: SimNode): MultiRaftNode {
    const settings = this.#settings;
    const runtime: MultiRaftNode = new MultiRaftNode({
      nodeId: node.id,
      transport: this.#network.transportFor(node.id),
      clock: this.#scheduler.clockFor(() => node.runtime === runtime),
      random: this.#random.fork(),
      storage: node.disk,
      tickIntervalMs: settings.tickIntervalMs * (settings.tickRates.get(node.id) ?? 1),
      electionTimeoutTicks: settings.electionTimeoutTicks,
      heartbeatIntervalTicks: settings.heartbeatIntervalTicks,
      preVote: settings.preVote,
      checkQuorum: settings.checkQuorum,
      readMode: settings.readMode,
      clockDriftBoundTicks: settings.clockDriftBoundTicks,
      maxInflightMessages: 8,
      maxMessageSizeBytes: 4096,
      snapshotIntervalEntries: settings.snapshotIntervalEntries,
      snapshotKeepEntries: settings.snapshotKeepEntries,
      onApplied: (groupId, entry) => this.#onApplied(node, groupId, entry),
      onSnapshotRestored: (groupId) => {
        this.snapshotsInstalled++;
        const machine = node.stateMachines.get(groupId)!;
        this.#checker.observeHash(groupId, node.id, machine.lastAppliedIndex, machine.appliedHash);
      },
      testingGrantVotesToShorterLogs: settings.testingGrantVotesToShorterLogs,
    });
    return runtime;
  }

  /** Crashes node `id`: memory is lost, and so is whatever its disk had not made durable. */
  crash(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (!node.runtime) return;
    node.runtime.stop();
    node.runtime = undefined;
    node.stateMachines = new Map();
    node.pendingWrites = new Map();
    this.#network.detach(id);
    node.disk.crash();
    this.crashCount++;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id)?.runtime !== undefined;
  }

  upNodeIds(): NodeId[] {
    return [...this.nodes.values()].filter((node) => node.runtime).map((node) => node.id);
  }

  /** Returns the node that leads `groupId` in the highest term, if any. */
  leaderOf(groupId: GroupId): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      const status = node.runtime?.status(groupId);
      if (status && status.role === RaftRole.Leader && status.term > bestTerm) {
        best = node;
        bestTerm = status.term;
      }
    }
    return best;
  }

  /** Feeds the checker every live replica's role; call after every event. */
  observeRoles(): void {
    for (const node of this.nodes.values()) {
      if (!node.runtime) continue;
      for (const groupId of this.#settings.groupIds) {
        this.#checker.observeRole(groupId, node.id, node.runtime.rawNode(groupId).raft);
      }
    }
  }

  /** Runs the log-matching check over every live replica of every group. */
  checkLogMatching(): void {
    for (const groupId of this.#settings.groupIds) {
      const replicas = new Map();
      for (const node of this.nodes.values()) {
        if (node.runtime) replicas.set(node.id, node.runtime.rawNode(groupId).raft);
      }
      this.#checker.checkLogMatching(groupId, replicas);
    }
  }

  #onApplied(node: SimNode, groupId: GroupId, entry: Entry): void {
    this.#checker.observeApplied(groupId, node.id, entry);
    if (entry.type !== EntryType.Normal || entry.data.byteLength === 0) return;
    const machine = node.stateMachines.get(groupId)!;
    this.#checker.observeHash(groupId, node.id, entry.index, machine.appliedHash);
    const { opId } = decodeCommand(entry.data);
    const complete = node.pendingWrites.get(opId);
    if (complete) {
      node.pendingWrites.delete(opId);
      complete(machine.results.get(opId)!);
    }
  }
}
