/**
 * Tests of the unpersisted log tail.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UnstableLog } from "./log_unstable.ts";
import { entriesWithTerms } from "./testing/raft_harness.ts";

Deno.test("UnstableLog appends after its tail", () => {
  const unstable = new UnstableLog(5);
  unstable.truncateAndAppend(entriesWithTerms([1, 1], 5));
  unstable.truncateAndAppend(entriesWithTerms([2], 7));
  assert.equal(unstable.maybeLastIndex(), 7);
  assert.equal(unstable.maybeTerm(7), 2);
  assert.equal(unstable.maybeTerm(4), undefined);
});

Deno.test("UnstableLog replaces a conflicting suffix", () => {
  const unstable = new UnstableLog(5);
  unstable.truncateAndAppend(entriesWithTerms([1, 1, 1], 5));
  unstable.truncateAndAppend(entriesWithTerms([3], 6));
  assert.deepEqual(unstable.entries.map((entry) => entry.term), [1, 3]);
  unstable.truncateAndAppend(entriesWithTerms([4], 3));
  assert.equal(unstable.offset, 3);
  assert.deepEqual(unstable.entries.map((entry) => entry.index), [3]);
});

Deno.test("UnstableLog stableTo drops only entries with the persisted term", () => {
  const unstable = new UnstableLog(1);
  unstable.truncateAndAppend(entriesWithTerms([1, 1, 2]));
  unstable.stableTo(2, 5);
  assert.equal(unstable.offset, 1);
  unstable.stableTo(2, 1);
  assert.equal(unstable.offset, 3);
  assert.equal(unstable.entries.length, 1);
});

Deno.test("UnstableLog restore keeps only the snapshot", () => {
  const unstable = new UnstableLog(1);
  unstable.truncateAndAppend(entriesWithTerms([1, 1]));
  unstable.restore({
    metadata: { index: 9, term: 3, confState: { voters: [1], learners: [] } },
    data: new Uint8Array(0),
  });
  assert.equal(unstable.offset, 10);
  assert.equal(unstable.maybeFirstIndex(), 10);
  assert.equal(unstable.maybeLastIndex(), 9);
  assert.equal(unstable.maybeTerm(9), 3);
  unstable.stableSnapshotTo(9);
  assert.equal(unstable.snapshot, undefined);
});
