/**
 * A simulated network between the nodes of one simulation. Each batch may be dropped,
 * duplicated or delayed by a random amount (which reorders batches), and directed links can be
 * cut to model symmetric splits, isolated nodes and one-way (asymmetric) faults. A link cut while
 * a batch is in flight drops it on arrival. Batches to a crashed node are dropped.
 *
 * When `encodeMessages` is set, every batch goes through the CBOR peer codec, so the simulation
 * also exercises the wire format.
 *
 * @module
 */

import { decodePeerBatch, encodePeerBatch } from "../message_codec.ts";
import type { PeerBatch, Transport } from "../runtime_interfaces.ts";
import type { NodeId } from "../types.ts";
import type { SeededRandom } from "./random.ts";
import type { SimScheduler } from "./sim_scheduler.ts";

/** Fault rates of the simulated network. */
export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Counters of what the network did. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

/** The simulated network. */
export class SimNetwork {
  readonly #scheduler: SimScheduler;
  readonly #random: SeededRandom;
  readonly #receivers = new Map<NodeId, (batch: PeerBatch) => void>();
  /** Cut links, as "from>to". */
  readonly #cutLinks = new Set<string>();
  faults: NetworkFaults;
  readonly encodeMessages: boolean;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blocked: 0 };

  constructor(
    scheduler: SimScheduler,
    random: SeededRandom,
    faults: NetworkFaults,
    encodeMessages: boolean,
  ) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.faults = faults;
    this.encodeMessages = encodeMessages;
  }

  /** Connects a node's receive function; `detach` disconnects it at a crash. */
  attach(nodeId: NodeId, receive: (batch: PeerBatch) => void): void {
    this.#receivers.set(nodeId, receive);
  }

  detach(nodeId: NodeId): void {
    this.#receivers.delete(nodeId);
  }

  transportFor(nodeId: NodeId): Transport {
    return { send: (batch) => this.#send(nodeId, batch) };
  }

  /** Cuts the link from `from` to `to` (one direction only). */
  cut(from: NodeId, to: NodeId): void {
    this.#cutLinks.add(`${from}>${to}`);
  }

  /** Splits the nodes into sides that cannot reach each other in either direction. */
  split(sides: readonly (readonly NodeId[])[]): void {
    for (const side of sides) {
      for (const other of sides) {
        if (other === side) continue;
        for (const from of side) for (const to of other) this.cut(from, to);
      }
    }
  }

  /** Restores every link. */
  heal(): void {
    this.#cutLinks.clear();
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.#cutLinks.has(`${from}>${to}`);
  }

  #send(from: NodeId, batch: PeerBatch): void {
    this.stats.sent++;
    if (this.isCut(from, batch.to)) {
      this.stats.blocked++;
      return;
    }
    if (this.#random.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    const payload = this.encodeMessages ? encodePeerBatch(batch) : undefined;
    this.#scheduleDelivery(from, batch, payload);
    if (this.#random.chance(this.faults.duplicateProbability)) {
      this.stats.duplicated++;
      this.#scheduleDelivery(from, batch, payload);
    }
  }

  #scheduleDelivery(from: NodeId, batch: PeerBatch, payload: Uint8Array | undefined): void {
    const delayMs = this.#random.intBetween(this.faults.minDelayMs, this.faults.maxDelayMs);
    this.#scheduler.schedule(delayMs, () => {
      const receive = this.#receivers.get(batch.to);
      if (!receive || this.isCut(from, batch.to)) {
        this.stats.blocked++;
        return;
      }
      this.stats.delivered++;
      receive(payload ? decodePeerBatch(payload) : batch);
    });
  }
}
