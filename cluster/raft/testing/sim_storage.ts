/**
 * A simulated disk for one node's Raft state. Writes complete after a random latency, in call
 * order. A write without sync is kept only in a volatile layer until a later synced write
 * completes. A crash keeps the synced state plus a random prefix of the volatile writes (a torn
 * tail), and drops every write still in progress, so whatever was not durable is lost.
 *
 * @module
 */

import { assert } from "../../../util/assert.ts";
import type { GroupId, GroupWrite, PersistedGroup, Storage } from "../runtime_interfaces.ts";
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  type Entry,
  type HardState,
  type Snapshot,
} from "../types.ts";
import type { SeededRandom } from "./random.ts";
import type { SimScheduler } from "./sim_scheduler.ts";

interface DiskGroup {
  hardState: HardState;
  snapshot: Snapshot;
  entries: Entry[];
}

/** Simulated durable storage of one node; survives the node's crashes. */
export class SimDisk implements Storage {
  readonly #scheduler: SimScheduler;
  readonly #random: SeededRandom;
  readonly #synced = new Map<GroupId, DiskGroup>();
  /** Writes completed without sync, oldest first. */
  #volatile: (readonly GroupWrite[])[] = [];
  /** Incremented at each crash; completions of an older generation are dropped. */
  #generation = 0;
  #lastCompletionMs = 0;
  readonly minLatencyMs: number;
  readonly maxLatencyMs: number;
  /** Volatile writes lost at crashes so far. */
  lostWriteCount = 0;

  constructor(
    scheduler: SimScheduler,
    random: SeededRandom,
    latency: { minMs: number; maxMs: number },
  ) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.minLatencyMs = latency.minMs;
    this.maxLatencyMs = latency.maxMs;
  }

  write(writes: readonly GroupWrite[], sync: boolean, onDone: () => void): void {
    const generation = this.#generation;
    const latencyMs = this.#random.intBetween(this.minLatencyMs, this.maxLatencyMs);
    const dueMs = Math.max(this.#scheduler.nowMs + latencyMs, this.#lastCompletionMs);
    this.#lastCompletionMs = dueMs;
    this.#scheduler.schedule(dueMs - this.#scheduler.nowMs, () => {
      if (generation !== this.#generation) return;
      this.#volatile.push(writes);
      if (sync) {
        for (const pending of this.#volatile) this.#fold(pending);
        this.#volatile = [];
      }
      onDone();
    });
  }

  load(groupId: GroupId): PersistedGroup | undefined {
    assert(this.#volatile.length === 0, "load with volatile writes outstanding");
    const group = this.#synced.get(groupId);
    if (!group) return undefined;
    return { hardState: group.hardState, snapshot: group.snapshot, entries: [...group.entries] };
  }

  /** Models a power loss: keeps a random prefix of the volatile writes and drops the rest. */
  crash(): void {
    const keptCount = this.#random.intBelow(this.#volatile.length + 1);
    for (const pending of this.#volatile.slice(0, keptCount)) this.#fold(pending);
    this.lostWriteCount += this.#volatile.length - keptCount;
    this.#volatile = [];
    this.#generation++;
    this.#lastCompletionMs = this.#scheduler.nowMs;
  }

  #fold(writes: readonly GroupWrite[]): void {
    for (const write of writes) {
      let group = this.#synced.get(write.groupId);
      if (!group) {
        group = { hardState: EMPTY_HARD_STATE, snapshot: EMPTY_SNAPSHOT, entries: [] };
        this.#synced.set(write.groupId, group);
      }
      if (write.snapshot) {
        group.snapshot = write.snapshot;
        group.entries = [];
      }
      const first = write.entries[0];
      if (first) {
        group.entries = group.entries.filter((entry) => entry.index < first.index);
        group.entries.push(...write.entries);
      }
      if (write.hardState) group.hardState = write.hardState;
      const local = write.localSnapshot;
      if (local && local.snapshot.metadata.index > group.snapshot.metadata.index) {
        group.snapshot = local.snapshot;
        group.entries = group.entries.filter((entry) => entry.index > local.compactIndex);
      }
    }
  }
}
