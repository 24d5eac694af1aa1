/**
 * Tests of the Ready contract: what a Ready carries, when it must be synced, and what
 * `advance` records.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MemoryLogStorage } from "./log_storage.ts";
import { RawNode } from "./raw_node.ts";
import { zeroRandom } from "./testing/raft_harness.ts";
import { makeMessage, MessageType, RaftRole } from "./types.ts";

function singleNode(): { node: RawNode; storage: MemoryLogStorage } {
  const storage = new MemoryLogStorage();
  storage.applySnapshot({
    metadata: { index: 0, term: 0, confState: { voters: [1], learners: [] } },
    data: new Uint8Array(0),
  });
  const node = new RawNode({
    id: 1,
    storage,
    random: zeroRandom,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
  });
  return { node, storage };
}

Deno.test("RawNode: a new leader's Ready must be synced and carries its entry", () => {
  const { node } = singleNode();
  node.campaign();
  assert.equal(node.hasReady(), true);
  const ready = node.ready();
  assert.equal(ready.softState?.role, RaftRole.Leader);
  assert.deepEqual(ready.hardState, { term: 1, vote: 1, commit: 1 });
  assert.deepEqual(ready.entries.map((entry) => entry.index), [1]);
  assert.deepEqual(ready.committedEntries.map((entry) => entry.index), [1]);
  assert.equal(ready.mustSync, true);
});

Deno.test("RawNode: advance marks entries stable and applied", () => {
  const { node, storage } = singleNode();
  node.campaign();
  const ready = node.ready();
  storage.append(ready.entries);
  storage.hardState = ready.hardState!;
  node.advance(ready);
  assert.equal(node.hasReady(), false);
  assert.equal(node.raft.log.unstable.entries.length, 0);
  assert.equal(node.status().applied, 1);
  const proposal = node.propose(new Uint8Array([1, 2]));
  assert.deepEqual(proposal, { ok: true, index: 2, term: 1 });
  const next = node.ready();
  assert.equal(next.softState, undefined);
  assert.deepEqual(next.entries.map((entry) => entry.index), [2]);
});

Deno.test("RawNode: a commit-only change needs no sync", () => {
  const storage = new MemoryLogStorage();
  storage.applySnapshot({
    metadata: { index: 0, term: 0, confState: { voters: [1, 2], learners: [] } },
    data: new Uint8Array(0),
  });
  storage.append([{ index: 1, term: 1, type: 0, data: new Uint8Array([1]) }]);
  storage.hardState = { term: 1, vote: 0, commit: 0 };
  const node = new RawNode({
    id: 1,
    storage,
    random: zeroRandom,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
  });
  node.step(makeMessage({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1, commit: 1 }));
  const ready = node.ready();
  assert.deepEqual(ready.hardState, { term: 1, vote: 0, commit: 1 });
  assert.equal(ready.mustSync, false);
  assert.equal(ready.messages.length, 1);
});

Deno.test("RawNode: a second Ready before advance is refused", () => {
  const { node } = singleNode();
  node.campaign();
  node.ready();
  assert.equal(node.hasReady(), false);
  assert.throws(() => node.ready(), /advance/);
});

Deno.test("RawNode: a message for another replica is refused", () => {
  const { node } = singleNode();
  const message = makeMessage({ type: MessageType.Heartbeat, from: 2, to: 3, term: 1 });
  assert.throws(() => node.step(message), /stepped into/);
});
