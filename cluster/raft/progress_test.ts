/**
 * Tests of follower flow control: probe, replicate and snapshot states and the in-flight window.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Inflights } from "./inflights.ts";
import { Progress, ProgressState } from "./progress.ts";

function newProgress(match: number, next: number): Progress {
  return new Progress({ match, next, maxInflight: 3, isLearner: false });
}

Deno.test("Inflights fills, frees up to an index and frees one", () => {
  const inflights = new Inflights(3);
  inflights.add(2);
  inflights.add(4);
  inflights.add(6);
  assert.equal(inflights.full(), true);
  inflights.freeLE(4);
  assert.equal(inflights.count, 1);
  assert.equal(inflights.full(), false);
  inflights.freeFirstOne();
  assert.equal(inflights.count, 0);
});

Deno.test("Inflights rejects an index that does not increase", () => {
  const inflights = new Inflights(3);
  inflights.add(5);
  assert.throws(() => inflights.add(5), /not after/);
});

Deno.test("Progress in probe pauses after one append until an answer", () => {
  const progress = newProgress(0, 5);
  assert.equal(progress.isPaused(), false);
  progress.probeSent = true;
  assert.equal(progress.isPaused(), true);
  assert.equal(progress.maybeUpdate(4), true);
  assert.equal(progress.isPaused(), false);
  assert.equal(progress.match, 4);
  assert.equal(progress.next, 5);
});

Deno.test("Progress in replicate pauses when the window is full", () => {
  const progress = newProgress(4, 5);
  progress.becomeReplicate();
  for (const index of [6, 7, 8]) {
    progress.optimisticUpdate(index);
    progress.inflights.add(index);
  }
  assert.equal(progress.isPaused(), true);
  assert.equal(progress.next, 9);
});

Deno.test("Progress ignores a stale rejection", () => {
  const progress = newProgress(3, 10);
  // In probe state, only a rejection of the append at next-1 counts.
  assert.equal(progress.maybeDecreaseTo(5, 2), false);
  assert.equal(progress.next, 10);
  progress.becomeReplicate();
  assert.equal(progress.maybeDecreaseTo(2, 1), false);
});

Deno.test("Progress moves next to the follower's hint on rejection", () => {
  const progress = newProgress(0, 10);
  assert.equal(progress.maybeDecreaseTo(9, 4), true);
  assert.equal(progress.next, 5);
  const replicating = newProgress(3, 4);
  replicating.becomeReplicate();
  replicating.optimisticUpdate(8);
  assert.equal(replicating.maybeDecreaseTo(8, 0), true);
  assert.equal(replicating.next, 4);
});

Deno.test("Progress leaving snapshot state probes after the snapshot", () => {
  const progress = newProgress(2, 3);
  progress.becomeSnapshot(20);
  assert.equal(progress.state, ProgressState.Snapshot);
  assert.equal(progress.isPaused(), true);
  progress.becomeProbe();
  assert.equal(progress.state, ProgressState.Probe);
  assert.equal(progress.next, 21);
});
