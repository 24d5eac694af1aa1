/**
 * Simulated clients: each runs one operation at a time (get, put, compare-and-set or increment
 * on a small key set), finds the leader by trying nodes and following leader hints, and records
 * the history the linearizability checker replays.
 *
 * Outcomes: a client proposes each write at most once, because it stops retrying once a leader
 * has accepted the proposal. If its client times out after the proposal was
 * accepted, the outcome is unknown (it may still commit); if no node ever accepted it, it had no
 * effect and is left out of the history. Reads go through ReadIndex and are left out when they
 * time out, since a read has no effect.
 *
 * @module
 */

import type { GroupId } from "../runtime_interfaces.ts";
import { NO_NODE, type NodeId } from "../types.ts";
import { encodeCommand, type KvInput, type KvOutput } from "./kv_state_machine.ts";
import type { SeededRandom } from "./random.ts";
import type { SimCluster } from "./sim_cluster.ts";
import type { SimScheduler } from "./sim_scheduler.ts";

/** Final status of an operation. */
export type OperationStatus = "pending" | "ok" | "unknown" | "failed";

/** One client operation and what the client observed. */
export interface ClientOperation {
  readonly opId: number;
  readonly clientId: number;
  readonly input: KvInput;
  readonly callMs: number;
  returnMs: number;
  output: KvOutput | undefined;
  status: OperationStatus;
  /** Whether a leader accepted the write (so it may take effect). */
  proposed: boolean;
}

/** Settings of the client workload. */
export interface ClientSettings {
  clientCount: number;
  keys: readonly string[];
  /** A client gives up on an operation after this long. */
  timeoutMs: number;
  maxThinkMs: number;
  retryDelayMs: number;
  groupOf: (key: string) => GroupId;
}

/** Drives the simulated clients and keeps their history. */
export class SimClients {
  readonly history: ClientOperation[] = [];
  readonly #settings: ClientSettings;
  readonly #scheduler: SimScheduler;
  readonly #cluster: SimCluster;
  readonly #random: SeededRandom;
  readonly #leaderHints = new Map<number, NodeId>();
  #nextOpId = 1;
  #stopAtMs = Infinity;

  constructor(
    settings: ClientSettings,
    parts: { scheduler: SimScheduler; cluster: SimCluster; random: SeededRandom },
  ) {
    this.#settings = settings;
    this.#scheduler = parts.scheduler;
    this.#cluster = parts.cluster;
    this.#random = parts.random;
  }

  /** Starts every client; none starts a new operation at or after `stopAtMs`. */
  start(stopAtMs: number): void {
    this.#stopAtMs = stopAtMs;
    for (let clientId = 1; clientId <= this.#settings.clientCount; clientId++) {
      this.#scheduleNext(clientId);
    }
  }

  #scheduleNext(clientId: number): void {
    const thinkMs = this.#random.intBelow(this.#settings.maxThinkMs + 1);
    this.#scheduler.schedule(thinkMs, () => {
      if (this.#scheduler.nowMs >= this.#stopAtMs) return;
      this.#begin(clientId);
    });
  }

  #begin(clientId: number): void {
    const operation: ClientOperation = {
      opId: this.#nextOpId++,
      clientId,
      input: this.#randomInput(clientId),
      callMs: this.#scheduler.nowMs,
      returnMs: Infinity,
      output: undefined,
      status: "pending",
      proposed: false,
    };
    this.history.push(operation);
    this.#scheduler.schedule(this.#settings.timeoutMs, () => this.#timeOut(operation));
    this.#attempt(operation);
  }

  #randomInput(clientId: number): KvInput {
    const key = this.#random.pick(this.#settings.keys);
    // Values are unique per operation, so a read pins down which write it saw.
    const value = clientId * 1_000_000 + this.#nextOpId;
    switch (this.#random.intBelow(4)) {
      case 0:
        return { kind: "get", key };
      case 1:
        return { kind: "put", key, value };
      case 2: {
        const expected = this.#random.chance(0.2) ? null : this.#guessValue(key);
        return { kind: "cas", key, expected, value };
      }
      default:
        return { kind: "incr", key, delta: 1 + this.#random.intBelow(3) };
    }
  }

  /** The value the history last showed for `key`, so compare-and-set often succeeds. */
  #guessValue(key: string): number | null {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const operation = this.history[i]!;
      if (operation.input.key !== key || operation.status !== "ok") continue;
      if (typeof operation.output === "number") return operation.output;
      if (operation.input.kind === "put") return operation.input.value;
    }
    return null;
  }

  #attempt(operation: ClientOperation): void {
    if (operation.status !== "pending") return;
    const node = this.#chooseNode(operation.clientId);
    const runtime = node === undefined ? undefined : this.#cluster.nodes.get(node)?.runtime;
    if (node === undefined || !runtime) {
      this.#retryLater(operation);
      return;
    }
    const groupId = this.#settings.groupOf(operation.input.key);
    if (operation.input.kind === "get") {
      const key = operation.input.key;
      runtime.read(groupId, (confirmed) => {
        if (!confirmed) {
          this.#noteLeader(operation.clientId, runtime.status(groupId).leader);
          this.#retryLater(operation);
          return;
        }
        const machine = this.#cluster.nodes.get(node)!.stateMachines.get(groupId)!;
        this.#complete(operation, machine.read(key));
      });
      return;
    }
    const command = { opId: operation.opId, input: operation.input };
    const result = runtime.propose(groupId, encodeCommand(command));
    if (!result.ok) {
      this.#noteLeader(operation.clientId, result.leader);
      this.#retryLater(operation);
      return;
    }
    operation.proposed = true;
    this.#leaderHints.set(operation.clientId, node);
    this.#cluster.nodes.get(node)!.pendingWrites.set(
      operation.opId,
      (output) => this.#complete(operation, output),
    );
  }

  #chooseNode(clientId: number): NodeId | undefined {
    const hint = this.#leaderHints.get(clientId);
    // Now and then a client ignores its hint, as clients with stale routing do, so that a
    // deposed leader and its successor both see traffic.
    const ignoreHint = this.#random.chance(0.1);
    if (hint !== undefined && !ignoreHint && this.#cluster.isUp(hint)) return hint;
    this.#leaderHints.delete(clientId);
    const up = this.#cluster.upNodeIds();
    return up.length === 0 ? undefined : this.#random.pick(up);
  }

  #noteLeader(clientId: number, leader: NodeId): void {
    if (leader !== NO_NODE) this.#leaderHints.set(clientId, leader);
    else this.#leaderHints.delete(clientId);
  }

  #retryLater(operation: ClientOperation): void {
    const delayMs = this.#settings.retryDelayMs +
      this.#random.intBelow(this.#settings.retryDelayMs);
    this.#scheduler.schedule(delayMs, () => this.#attempt(operation));
  }

  #complete(operation: ClientOperation, output: KvOutput): void {
    if (operation.status !== "pending") return;
    operation.status = "ok";
    operation.output = output;
    operation.returnMs = this.#scheduler.nowMs;
    this.#scheduleNext(operation.clientId);
  }

  #timeOut(operation: ClientOperation): void {
    if (operation.status !== "pending") return;
    operation.status = operation.proposed ? "unknown" : "failed";
    this.#leaderHints.delete(operation.clientId);
    this.#scheduleNext(operation.clientId);
  }
}
