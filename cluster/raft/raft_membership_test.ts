/**
 * Scripted tests of membership changes: learners, adding and removing one voter at a time, the
 * one-change-at-a-time rule, and the rule that only current voters count.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfChangeType } from "./conf_change.ts";
import {
  applyCommitted,
  newTestRaft,
  persist,
  takeMessages,
  TestNetwork,
} from "./testing/raft_harness.ts";
import { EntryType, makeMessage, MessageType, RaftRole } from "./types.ts";
import { encodeConfChange } from "./conf_change.ts";

function applyAll(network: TestNetwork): void {
  for (const raft of network.replicas.values()) applyCommitted(raft);
  network.settle();
}

/** Three voters with 1 leading, every entry applied. */
function threeNodeCluster(): TestNetwork {
  const network = new TestNetwork([1, 2, 3].map((id) => newTestRaft(id, [1, 2, 3])));
  network.elect(1);
  applyAll(network);
  return network;
}

Deno.test("membership: a learner's acknowledgement does not count for commits", () => {
  const network = new TestNetwork([
    newTestRaft(1, [1, 2], { learners: [3] }),
    newTestRaft(2, [1, 2], { learners: [3] }),
    newTestRaft(3, [1, 2], { learners: [3] }),
  ]);
  network.elect(1);
  network.isolate(2);
  const leader = network.get(1);
  const committedBefore = leader.log.committed;
  network.propose(1, "x");
  assert.equal(network.get(3).log.lastIndex(), leader.log.lastIndex());
  assert.equal(leader.log.committed, committedBefore);
});

Deno.test("membership: a learner never campaigns", () => {
  const learner = newTestRaft(3, [1, 2], { learners: [3] });
  for (let tick = 0; tick < 50; tick++) learner.tick();
  assert.equal(learner.role, RaftRole.Follower);
  assert.equal(learner.term, 0);
  assert.equal(takeMessages(learner).length, 0);
});

Deno.test("membership: votes from non-members are ignored", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  for (const from of [4, 5, 6]) {
    raft.step(makeMessage({ type: MessageType.RequestVoteResponse, from, to: 1, term: 1 }));
  }
  assert.equal(raft.role, RaftRole.Candidate);
  raft.step(makeMessage({ type: MessageType.RequestVoteResponse, from: 2, to: 1, term: 1 }));
  assert.equal(raft.role, RaftRole.Leader);
});

Deno.test("membership: a second change waits until the first is applied", () => {
  const network = threeNodeCluster();
  const leader = network.get(1);
  const first = leader.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 4 });
  assert.equal(first.ok, true);
  const second = leader.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 5 });
  assert.deepEqual(second, { ok: false, reason: "conf-change-pending", leader: 1 });
  network.settle();
  applyAll(network);
  assert.deepEqual([...leader.tracker.learners], [4]);
  const third = leader.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 5 });
  assert.equal(third.ok, true);
});

Deno.test("membership: a new leader proposes no change before applying its first entry", () => {
  const network = new TestNetwork([1, 2, 3].map((id) => newTestRaft(id, [1, 2, 3])));
  network.elect(1);
  const leader = network.get(1);
  assert.equal(leader.log.committed, 1);
  const result = leader.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3 });
  assert.deepEqual(result, { ok: false, reason: "conf-change-pending", leader: 1 });
  applyCommitted(leader);
  assert.equal(leader.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3 }).ok, true);
});

Deno.test("membership: removing the last voter or demoting a voter is rejected", () => {
  const single = newTestRaft(1, [1]);
  single.campaign();
  persist(single);
  applyCommitted(single);
  const removal = single.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1 });
  assert.equal(removal.ok, false);
  const network = threeNodeCluster();
  const demotion = network.get(1).proposeConfChange({
    type: ConfChangeType.AddLearner,
    nodeId: 2,
  });
  assert.deepEqual(demotion, { ok: false, reason: "invalid-conf-change", leader: 1 });
});

Deno.test("membership: a promoted learner counts, a removed voter stops counting", () => {
  const network = threeNodeCluster();
  const leader = network.get(1);
  leader.applyConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3 });
  assert.deepEqual([...leader.tracker.voters], [1, 2]);
  // With voters {1, 2}, an acknowledgement from removed node 3 must not commit anything.
  network.isolate(2);
  network.propose(1, "x");
  const index = leader.log.lastIndex();
  leader.step(
    makeMessage({ type: MessageType.AppendEntriesResponse, from: 3, to: 1, term: 1, index }),
  );
  assert.ok(leader.log.committed < index);
  leader.applyConfChange({ type: ConfChangeType.AddLearner, nodeId: 3 });
  leader.applyConfChange({ type: ConfChangeType.AddVoter, nodeId: 3 });
  assert.deepEqual([...leader.tracker.voters].sort(), [1, 2, 3]);
  leader.step(
    makeMessage({ type: MessageType.AppendEntriesResponse, from: 3, to: 1, term: 1, index }),
  );
  assert.equal(leader.log.committed, index);
});

Deno.test("membership: a leader that removes itself steps down", () => {
  const network = threeNodeCluster();
  const leader = network.get(1);
  assert.equal(leader.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1 }).ok, true);
  network.settle();
  applyAll(network);
  assert.equal(leader.role, RaftRole.Follower);
  assert.deepEqual([...network.get(2).tracker.voters], [2, 3]);
  // The remaining voters elect a leader among themselves; node 1's vote is not needed.
  network.isolate(1);
  network.elect(2);
  assert.equal(network.get(2).role, RaftRole.Leader);
  assert.equal(leader.role, RaftRole.Follower);
});

Deno.test("membership: no campaign while a committed change is unapplied", () => {
  const raft = newTestRaft(2, [1, 2, 3]);
  raft.step(makeMessage({
    type: MessageType.AppendEntries,
    from: 1,
    to: 2,
    term: 1,
    index: 0,
    logTerm: 0,
    commit: 1,
    entries: [{
      index: 1,
      term: 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 2 }),
    }],
  }));
  persist(raft);
  takeMessages(raft);
  for (let tick = 0; tick < 40; tick++) raft.tick();
  assert.equal(raft.role, RaftRole.Follower);
  applyCommitted(raft);
  for (let tick = 0; tick < 40; tick++) raft.tick();
  // Once applied, the removal takes effect and node 2 is no longer allowed to campaign.
  assert.equal(raft.role, RaftRole.Follower);
  assert.equal(raft.tracker.voters.has(2), false);
});

Deno.test("membership: a new voter is caught up by the leader", () => {
  const network = threeNodeCluster();
  network.propose(1, "before");
  // The new node starts from the membership it would receive with its first snapshot.
  network.replicas.set(4, newTestRaft(4, [1, 2, 3]));
  const leader = network.get(1);
  leader.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 4 });
  network.settle();
  applyAll(network);
  network.tickAll(2);
  applyAll(network);
  assert.equal(network.get(4).log.lastIndex(), leader.log.lastIndex());
  assert.equal(network.get(4).isLearner, true);
  leader.proposeConfChange({ type: ConfChangeType.AddVoter, nodeId: 4 });
  network.settle();
  applyAll(network);
  assert.deepEqual([...network.get(4).tracker.voters].sort(), [1, 2, 3, 4]);
  assert.equal(network.get(4).isLearner, false);
});
