/**
 * One seeded simulation of a Strata Raft cluster: 3 or 5 nodes, one or two groups, clients
 * issuing key-value operations, and a fault phase followed by a healed phase.
 *
 * Everything derives from the seed: cluster shape, fault rates, which faults happen when, and
 * every message delay. Re-running a seed with the same options replays the run exactly.
 *
 * Phases:
 * 1. faults (`faultPhaseMs`): message loss, duplication and reordering at the seed's rates, plus
 *    scheduled faults: symmetric splits, isolated nodes, one-way link cuts, crashes with
 *    restarts, membership changes (remove a voter, add a learner, promote it) and leadership
 *    transfers;
 * 2. healed (`healedPhaseMs`): all links restored, loss and duplication off, every node up;
 *    after `settleMs` every client operation must succeed within the client timeout (liveness);
 * 3. quiet (`quietPhaseMs`): clients stop so every replica catches up before the final checks.
 *
 * Checks: the safety properties of `safety_checker.ts` during the run, then log matching, no
 * acknowledged write lost, linearizability of the client history and liveness at the end.
 *
 * @module
 */

import { AssertionError } from "../../../util/assert.ts";
import type { ReadMode } from "../raft.ts";
import { ConfChangeType } from "../conf_change.ts";
import type { GroupId } from "../runtime_interfaces.ts";
import type { NodeId } from "../types.ts";
import { applyKvInput, type KvInput, type KvOutput } from "./kv_state_machine.ts";
import { checkLinearizable, type HistoryOperation } from "./linearizability.ts";
import { SeededRandom } from "./random.ts";
import { SafetyChecker } from "./safety_checker.ts";
import { type ClientOperation, SimClients } from "./sim_clients.ts";
import { type ClusterSettings, SimCluster } from "./sim_cluster.ts";
import { SimNetwork } from "./sim_network.ts";
import { SimScheduler } from "./sim_scheduler.ts";

/** Options of one simulation; everything not given derives from the seed. */
export interface SimulationOptions {
  seed: number;
  nodeCount?: 3 | 5;
  faultPhaseMs?: number;
  settleMs?: number;
  healedPhaseMs?: number;
  quietPhaseMs?: number;
  /** Stop after this many events, as a guard against runaway runs. */
  maxEvents?: number;
  /** Route every batch through the CBOR codec. Default true. */
  encodeMessages?: boolean;
  /** Break the vote rule in every replica; see `RaftConfig.testingGrantVotesToShorterLogs`. */
  testingGrantVotesToShorterLogs?: boolean;
  /** Called with the cluster and client history once the run ends, for debugging and tests. */
  inspect?: (cluster: SimCluster, history: readonly ClientOperation[]) => void;
}

/** Counters and findings of one simulation. */
export interface SimulationResult {
  readonly seed: number;
  readonly nodeCount: number;
  readonly groupCount: number;
  readonly readMode: ReadMode;
  readonly violations: readonly string[];
  readonly faultsInjected: number;
  readonly elections: number;
  readonly committedEntries: number;
  readonly operationsChecked: number;
  /** Keys whose linearizability search hit its step limit. */
  readonly inconclusiveKeys: number;
  readonly events: number;
  readonly crashes: number;
  readonly snapshotsInstalled: number;
}

/** Per key. Correct runs need far fewer steps; a broken history can need vastly more. */
const LINEARIZABILITY_MAX_STEPS = 500_000;
const LOG_MATCHING_EVERY_EVENTS = 500;

/** Runs one simulation to completion. */
export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = new SeededRandom(options.seed);
  const nodeCount = options.nodeCount ?? (random.chance(0.5) ? 3 : 5);
  const faultPhaseMs = options.faultPhaseMs ?? 12_000;
  const settleMs = options.settleMs ?? 2_000;
  const healedPhaseMs = options.healedPhaseMs ?? 5_000;
  const quietPhaseMs = options.quietPhaseMs ?? 2_000;
  const maxEvents = options.maxEvents ?? 3_000_000;

  const scheduler = new SimScheduler();
  const checker = new SafetyChecker();
  const network = new SimNetwork(scheduler, random.fork(), {
    dropProbability: random.pick([0, 0.01, 0.05, 0.1]),
    duplicateProbability: random.pick([0, 0.01, 0.05]),
    minDelayMs: 1,
    maxDelayMs: random.pick([5, 20, 40]),
  }, options.encodeMessages ?? true);
  const settings = clusterSettings(random, nodeCount, options);
  const cluster = new SimCluster(settings, {
    scheduler,
    network,
    random: random.fork(),
    checker,
  });
  const keys = ["a", "b", "c", "d"];
  const clients = new SimClients({
    clientCount: random.intBetween(2, 4),
    keys,
    timeoutMs: 500,
    maxThinkMs: 40,
    retryDelayMs: 10,
    groupOf: (key) => groupOfKey(key, settings.groupIds),
  }, { scheduler, cluster, random: random.fork() });

  for (const id of settings.nodeIds) cluster.start(id);
  const healAtMs = faultPhaseMs;
  const endMs = faultPhaseMs + healedPhaseMs + quietPhaseMs;
  clients.start(faultPhaseMs + healedPhaseMs);
  const faults = new FaultInjector(random.fork(), scheduler, network, cluster, healAtMs);
  faults.start();

  const run = runEvents(scheduler, cluster, checker, { endMs, maxEvents });
  const violations = [...run.violations, ...checker.violations];
  options.inspect?.(cluster, clients.history);
  let operationsChecked = 0;
  let inconclusiveKeys = 0;
  if (violations.length === 0) {
    const final = finalChecks(cluster, checker, clients.history, {
      keys,
      livenessFromMs: healAtMs + settleMs,
    });
    violations.push(...final.violations);
    operationsChecked = final.operationsChecked;
    inconclusiveKeys = final.inconclusiveKeys;
  }
  return {
    seed: options.seed,
    nodeCount,
    groupCount: settings.groupIds.length,
    readMode: settings.readMode,
    violations,
    faultsInjected: faults.count + network.stats.dropped + network.stats.duplicated,
    elections: checker.electionCount,
    committedEntries: settings.groupIds.reduce((sum, id) => sum + checker.appliedCount(id), 0),
    operationsChecked,
    inconclusiveKeys,
    events: run.events,
    crashes: cluster.crashCount,
    snapshotsInstalled: cluster.snapshotsInstalled,
  };
}

/** Runs events until `endMs`, checking safety after each; stops at the first violation. */
function runEvents(
  scheduler: SimScheduler,
  cluster: SimCluster,
  checker: SafetyChecker,
  limits: { endMs: number; maxEvents: number },
): { events: number; violations: string[] } {
  let events = 0;
  const violations: string[] = [];
  try {
    while (scheduler.nowMs < limits.endMs && events < limits.maxEvents) {
      if (scheduler.runUntil(limits.endMs, 1) === 0) break;
      events++;
      cluster.observeRoles();
      if (events % LOG_MATCHING_EVERY_EVENTS === 0) cluster.checkLogMatching();
      if (checker.violations.length > 0) break;
    }
  } catch (error) {
    // A failed assertion stops a real node; here it is a finding, reported with its message.
    if (!(error instanceof AssertionError)) throw error;
    violations.push(`invariant: ${error.message} at ${scheduler.nowMs} ms`);
  }
  if (events >= limits.maxEvents) violations.push(`event limit ${limits.maxEvents} reached`);
  return { events, violations };
}

/** Runs the end-of-run checks on a run that had no violation so far. */
function finalChecks(
  cluster: SimCluster,
  checker: SafetyChecker,
  history: readonly ClientOperation[],
  options: { keys: readonly string[]; livenessFromMs: number },
): { violations: string[]; operationsChecked: number; inconclusiveKeys: number } {
  const groupIds = cluster.settings.groupIds;
  cluster.checkLogMatching();
  const violations = [...checker.violations];
  violations.push(...checkAcknowledgedWrites(cluster, history, groupIds));
  const linearizability = checkHistory(history, cluster, options.keys);
  violations.push(...linearizability.violations);
  violations.push(...checkLiveness(history, options.livenessFromMs));
  return {
    violations,
    operationsChecked: linearizability.operationsChecked,
    inconclusiveKeys: linearizability.inconclusiveKeys,
  };
}

function clusterSettings(
  random: SeededRandom,
  nodeCount: number,
  options: SimulationOptions,
): ClusterSettings {
  const nodeIds = Array.from({ length: nodeCount }, (_, i) => i + 1);
  // With five nodes, half the runs start with three voters and let two empty nodes join.
  const initialVoters = nodeCount === 5 && random.chance(0.5) ? nodeIds.slice(0, 3) : nodeIds;
  const readMode: ReadMode = random.chance(0.3) ? "lease" : "read-index";
  const tickRates = new Map<NodeId, number>();
  // Clocks run up to 2% apart, within the lease's drift bound of 1 tick per 10.
  for (const id of nodeIds) tickRates.set(id, 1 + (random.nextFloat() - 0.5) * 0.04);
  return {
    nodeIds,
    initialVoters,
    groupIds: random.chance(0.5) ? [1] : [1, 2],
    tickIntervalMs: 10,
    tickRates,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 2,
    readMode,
    clockDriftBoundTicks: 1,
    // Pre-vote stays on: without it a removed voter that missed its removal keeps raising the
    // term and can stall the group forever, which the liveness check rightly reports.
    preVote: true,
    checkQuorum: readMode === "lease" || random.chance(0.8),
    snapshotIntervalEntries: random.pick([10, 25, 100]),
    snapshotKeepEntries: random.pick([0, 5, 20]),
    diskLatencyMs: { minMs: 0, maxMs: random.pick([1, 3, 8]) },
    testingGrantVotesToShorterLogs: options.testingGrantVotesToShorterLogs ?? false,
  };
}

/** Schedules the fault phase's discrete faults and heals everything at its end. */
class FaultInjector {
  count = 0;
  readonly #random: SeededRandom;
  readonly #scheduler: SimScheduler;
  readonly #network: SimNetwork;
  readonly #cluster: SimCluster;
  readonly #healAtMs: number;

  constructor(
    random: SeededRandom,
    scheduler: SimScheduler,
    network: SimNetwork,
    cluster: SimCluster,
    healAtMs: number,
  ) {
    this.#random = random;
    this.#scheduler = scheduler;
    this.#network = network;
    this.#cluster = cluster;
    this.#healAtMs = healAtMs;
  }

  start(): void {
    this.#scheduleNext();
    this.#scheduler.schedule(this.#healAtMs, () => this.#healAll());
  }

  #scheduleNext(): void {
    this.#scheduler.schedule(this.#random.intBetween(100, 700), () => {
      if (this.#scheduler.nowMs >= this.#healAtMs) return;
      this.#injectOne();
      this.#scheduleNext();
    });
  }

  #injectOne(): void {
    const nodeIds = this.#cluster.settings.nodeIds;
    this.count++;
    switch (this.#random.intBelow(7)) {
      case 0:
        this.#split(nodeIds);
        break;
      case 1:
        this.#isolate(this.#random.pick(nodeIds), nodeIds);
        break;
      case 2:
        this.#cutOneWay(nodeIds);
        break;
      case 3:
      case 4:
        this.#crash(nodeIds);
        break;
      case 5:
        this.#changeMembership();
        break;
      default:
        this.#transferLeadership();
    }
  }

  #split(nodeIds: readonly NodeId[]): void {
    const shuffled = [...nodeIds].sort(() => this.#random.nextFloat() - 0.5);
    const cut = this.#random.intBetween(1, shuffled.length - 1);
    this.#network.split([shuffled.slice(0, cut), shuffled.slice(cut)]);
    this.#healLinksLater();
  }

  #isolate(id: NodeId, nodeIds: readonly NodeId[]): void {
    this.#network.split([[id], nodeIds.filter((other) => other !== id)]);
    this.#healLinksLater();
  }

  /** Cuts one direction of a few links, the asymmetric fault that check-quorum must handle. */
  #cutOneWay(nodeIds: readonly NodeId[]): void {
    const linkCount = this.#random.intBetween(1, nodeIds.length);
    for (let i = 0; i < linkCount; i++) {
      const from = this.#random.pick(nodeIds);
      const to = this.#random.pick(nodeIds.filter((id) => id !== from));
      this.#network.cut(from, to);
    }
    this.#healLinksLater();
  }

  #healLinksLater(): void {
    this.#scheduler.schedule(this.#random.intBetween(200, 2_000), () => this.#network.heal());
  }

  #crash(nodeIds: readonly NodeId[]): void {
    const up = this.#cluster.upNodeIds();
    // Keep a majority up most of the time, but sometimes take down more.
    const maxDown = this.#random.chance(0.2) ? nodeIds.length : Math.floor(nodeIds.length / 2);
    if (nodeIds.length - up.length >= maxDown || up.length === 0) return;
    const id = this.#random.pick(up);
    this.#cluster.crash(id);
    this.#scheduler.schedule(this.#random.intBetween(50, 2_000), () => this.#cluster.start(id));
  }

  #changeMembership(): void {
    for (const groupId of this.#cluster.settings.groupIds) {
      const leader = this.#cluster.leaderOf(groupId);
      const runtime = leader?.runtime;
      if (!runtime) continue;
      const { voters, learners } = runtime.status(groupId).confState;
      const nodeIds = this.#cluster.settings.nodeIds;
      const outsiders = nodeIds.filter((id) => !voters.includes(id) && !learners.includes(id));
      if (learners.length > 0) {
        runtime.proposeConfChange(groupId, {
          type: ConfChangeType.AddVoter,
          nodeId: this.#random.pick(learners),
        });
      } else if (outsiders.length > 0) {
        runtime.proposeConfChange(groupId, {
          type: ConfChangeType.AddLearner,
          nodeId: this.#random.pick(outsiders),
        });
      } else if (voters.length >= 3) {
        runtime.proposeConfChange(groupId, {
          type: ConfChangeType.RemoveNode,
          nodeId: this.#random.pick(voters),
        });
      }
    }
  }

  #transferLeadership(): void {
    const groupId: GroupId = this.#random.pick(this.#cluster.settings.groupIds);
    const leader = this.#cluster.leaderOf(groupId);
    const runtime = leader?.runtime;
    if (!runtime) return;
    const voters = runtime.status(groupId).confState.voters.filter((id) => id !== leader.id);
    if (voters.length > 0) runtime.transferLeadership(groupId, this.#random.pick(voters));
  }

  #healAll(): void {
    this.#network.heal();
    this.#network.faults = { ...this.#network.faults, dropProbability: 0, duplicateProbability: 0 };
    for (const id of this.#cluster.settings.nodeIds) this.#cluster.start(id);
  }
}

/** Every acknowledged write must be applied by every replica still in its group at the end. */
function checkAcknowledgedWrites(
  cluster: SimCluster,
  history: readonly ClientOperation[],
  groupIds: readonly GroupId[],
): string[] {
  const violations: string[] = [];
  for (const groupId of groupIds) {
    const leader = cluster.leaderOf(groupId);
    if (!leader?.runtime) {
      violations.push(`liveness: group ${groupId} has no leader at the end`);
      continue;
    }
    const { voters, learners } = leader.runtime.status(groupId).confState;
    for (const id of [...voters, ...learners]) {
      const machine = cluster.nodes.get(id)?.stateMachines.get(groupId);
      if (!machine) continue;
      for (const operation of history) {
        if (operation.status !== "ok" || operation.input.kind === "get") continue;
        if (groupOfKey(operation.input.key, groupIds) !== groupId) continue;
        if (!machine.results.has(operation.opId)) {
          violations.push(
            `acknowledged write lost: operation ${operation.opId} (${
              JSON.stringify(operation.input)
            }) is missing on node ${id} group ${groupId}`,
          );
          return violations;
        }
      }
    }
  }
  return violations;
}

/** Maps a key to its group by its first character, the same way on every node. */
function groupOfKey(key: string, groupIds: readonly GroupId[]): GroupId {
  return groupIds[key.charCodeAt(0) % groupIds.length]!;
}

/** Checks the client history per key; unknown writes that never applied anywhere are dropped. */
function checkHistory(
  history: readonly ClientOperation[],
  cluster: SimCluster,
  keys: readonly string[],
): { violations: string[]; operationsChecked: number; inconclusiveKeys: number } {
  const appliedOpIds = new Set<number>();
  for (const node of cluster.nodes.values()) {
    for (const machine of node.stateMachines.values()) {
      for (const opId of machine.results.keys()) appliedOpIds.add(opId);
    }
  }
  const violations: string[] = [];
  let operationsChecked = 0;
  let inconclusiveKeys = 0;
  for (const key of keys) {
    const operations: HistoryOperation<KvInput, KvOutput>[] = [];
    for (const operation of history) {
      if (operation.input.key !== key) continue;
      if (operation.status === "ok") operations.push(operation);
      else if (operation.status === "unknown" && appliedOpIds.has(operation.opId)) {
        operations.push({ ...operation, output: undefined, returnMs: Infinity });
      }
    }
    operationsChecked += operations.length;
    const verdict = checkLinearizable(operations, kvModel, LINEARIZABILITY_MAX_STEPS);
    if (verdict === "violation") {
      violations.push(
        `linearizability: the history of key "${key}" (${operations.length} operations) is not linearizable`,
      );
    } else if (verdict === "inconclusive") inconclusiveKeys++;
  }
  return { violations, operationsChecked, inconclusiveKeys };
}

const kvModel = {
  initial: null as number | null,
  step(state: number | null, input: KvInput, output: KvOutput | undefined) {
    const result = applyKvInput(state, input);
    if (output !== undefined && result.output !== output) return undefined;
    return result.next;
  },
  key: (state: number | null) => String(state),
};

/** After the cluster heals and settles, every operation must complete successfully. */
function checkLiveness(history: readonly ClientOperation[], fromMs: number): string[] {
  const window = history.filter((operation) => operation.callMs >= fromMs);
  const failed = window.filter((operation) => operation.status !== "ok");
  if (window.length === 0) return ["liveness: no client operation started after the heal"];
  if (failed.length === 0) return [];
  const first = failed[0]!;
  return [
    `liveness: ${failed.length} of ${window.length} operations after the heal did not complete ` +
    `within the client timeout, first ${first.opId} (${
      JSON.stringify(first.input)
    }) at ${first.callMs} ms`,
  ];
}
