/**
 * Tests of the simulated disk's durability model: synced writes survive a crash, unsynced
 * writes may be lost (a prefix survives), and writes still in progress are always lost.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { GroupWrite } from "../runtime_interfaces.ts";
import { SeededRandom } from "./random.ts";
import { SimScheduler } from "./sim_scheduler.ts";
import { SimDisk } from "./sim_storage.ts";

function entryWrite(index: number, term = 1): GroupWrite {
  return {
    groupId: 1,
    entries: [{ index, term, type: 0, data: new Uint8Array([index]) }],
    hardState: { term, vote: 0, commit: index - 1 },
  };
}

function disk(seed = 1) {
  const scheduler = new SimScheduler();
  return {
    scheduler,
    disk: new SimDisk(scheduler, new SeededRandom(seed), { minMs: 1, maxMs: 5 }),
  };
}

Deno.test("SimDisk keeps synced writes across a crash", () => {
  const { scheduler, disk: simDisk } = disk();
  const done: number[] = [];
  simDisk.write([entryWrite(1)], true, () => done.push(1));
  simDisk.write([entryWrite(2)], true, () => done.push(2));
  scheduler.runUntil(100, 100);
  assert.deepEqual(done, [1, 2]);
  simDisk.crash();
  const loaded = simDisk.load(1)!;
  assert.deepEqual(loaded.entries.map((entry) => entry.index), [1, 2]);
  assert.deepEqual(loaded.hardState, { term: 1, vote: 0, commit: 1 });
});

Deno.test("SimDisk loses writes in progress at a crash", () => {
  const { scheduler, disk: simDisk } = disk();
  let called = false;
  simDisk.write([entryWrite(1)], true, () => called = true);
  simDisk.crash();
  scheduler.runUntil(100, 100);
  assert.equal(called, false);
  assert.equal(simDisk.load(1), undefined);
});

Deno.test("SimDisk keeps only a prefix of unsynced writes", () => {
  const keptCounts = new Set<number>();
  for (let seed = 1; seed <= 30; seed++) {
    const { scheduler, disk: simDisk } = disk(seed);
    for (let index = 1; index <= 3; index++) simDisk.write([entryWrite(index)], false, () => {});
    scheduler.runUntil(100, 100);
    simDisk.crash();
    const indexes = simDisk.load(1)?.entries.map((entry) => entry.index) ?? [];
    assert.deepEqual(indexes, [1, 2, 3].slice(0, indexes.length));
    keptCounts.add(indexes.length);
  }
  // Over 30 seeds every prefix length shows up, including losing everything.
  assert.deepEqual([...keptCounts].sort(), [0, 1, 2, 3]);
});

Deno.test("SimDisk completes writes in call order", () => {
  const { scheduler, disk: simDisk } = disk(3);
  const done: number[] = [];
  for (let index = 1; index <= 10; index++) {
    simDisk.write([entryWrite(index)], index % 2 === 0, () => done.push(index));
  }
  scheduler.runUntil(1_000, 1_000);
  assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("SimDisk replaces the log with a received snapshot", () => {
  const { scheduler, disk: simDisk } = disk();
  simDisk.write([entryWrite(1), entryWrite(2)], true, () => {});
  simDisk.write(
    [{
      groupId: 1,
      snapshot: {
        metadata: { index: 9, term: 2, confState: { voters: [1], learners: [] } },
        data: new Uint8Array([1]),
      },
      entries: [{ index: 10, term: 2, type: 0, data: new Uint8Array(0) }],
    }],
    true,
    () => {},
  );
  scheduler.runUntil(100, 100);
  const loaded = simDisk.load(1)!;
  assert.equal(loaded.snapshot.metadata.index, 9);
  assert.deepEqual(loaded.entries.map((entry) => entry.index), [10]);
});
