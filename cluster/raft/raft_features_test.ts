/**
 * Scripted tests of the extensions to basic Raft: pre-vote, check-quorum, leadership transfer,
 * ReadIndex and lease reads, and per-follower flow control.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ProgressState } from "./progress.ts";
import {
  newTestRaft,
  ofType,
  persist,
  takeMessages,
  TestNetwork,
  type TestRaftOptions,
} from "./testing/raft_harness.ts";
import { makeMessage, MessageType, RaftRole } from "./types.ts";

function cluster(options: TestRaftOptions = {}, ids = [1, 2, 3]): TestNetwork {
  return new TestNetwork(ids.map((id) => newTestRaft(id, ids, options)));
}

Deno.test("pre-vote: an isolated node does not raise its term", () => {
  const network = cluster({ preVote: true });
  network.elect(1);
  network.isolate(3);
  const node = network.get(3);
  for (let tick = 0; tick < 50; tick++) node.tick();
  network.settle();
  assert.equal(node.term, 1);
  assert.equal(node.role, RaftRole.PreCandidate);
});

Deno.test("pre-vote: a returning node does not depose the leader", () => {
  const network = cluster({ preVote: true });
  network.elect(1);
  network.isolate(3);
  network.propose(1, "x");
  const node = network.get(3);
  for (let tick = 0; tick < 50; tick++) node.tick();
  network.heal();
  network.settle();
  node.tick();
  network.settle();
  assert.equal(network.get(1).role, RaftRole.Leader);
  assert.equal(network.get(1).term, 1);
});

Deno.test("pre-vote: a winning pre-vote is followed by a real election", () => {
  const network = cluster({ preVote: true });
  network.elect(2);
  assert.equal(network.get(2).role, RaftRole.Leader);
  assert.equal(network.get(2).term, 1);
  const types = network.delivered.map((message) => message.type);
  assert.ok(types.indexOf(MessageType.RequestPreVote) < types.indexOf(MessageType.RequestVote));
});

Deno.test("without pre-vote, a returning node forces a new election", () => {
  const network = cluster();
  network.elect(1);
  network.isolate(3);
  const node = network.get(3);
  for (let tick = 0; tick < 10; tick++) node.tick();
  assert.equal(node.term, 2);
  network.heal();
  node.tick();
  network.settle();
  assert.equal(network.get(1).role, RaftRole.Follower);
});

Deno.test("check-quorum: a leader cut off from the majority steps down", () => {
  const network = cluster({ checkQuorum: true });
  network.elect(1);
  network.isolate(1);
  const leader = network.get(1);
  for (let tick = 0; tick < 9; tick++) leader.tick();
  assert.equal(leader.role, RaftRole.Leader);
  // The first check after the election finds the voters active; the second finds them silent.
  for (let tick = 0; tick < 11; tick++) leader.tick();
  assert.equal(leader.role, RaftRole.Follower);
});

Deno.test("check-quorum: a follower that hears a leader ignores vote requests", () => {
  const network = cluster({ checkQuorum: true });
  network.elect(1);
  const follower = network.get(2);
  follower.step(makeMessage({
    type: MessageType.RequestVote,
    from: 3,
    to: 2,
    term: 5,
    index: 10,
    logTerm: 5,
  }));
  assert.equal(follower.term, 1);
  assert.equal(takeMessages(follower).length, 0);
});

Deno.test("transfer: an up-to-date target gets TimeoutNow and wins", () => {
  const network = cluster({ checkQuorum: true, preVote: true });
  network.elect(1);
  assert.equal(network.get(1).transferLeadership(3), true);
  network.settle();
  assert.ok(network.delivered.some((message) => message.type === MessageType.TimeoutNow));
  assert.equal(network.get(3).role, RaftRole.Leader);
  assert.equal(network.get(3).term, 2);
  assert.equal(network.get(1).role, RaftRole.Follower);
});

Deno.test("transfer: a lagging target is caught up first", () => {
  const network = cluster();
  network.elect(1);
  network.isolate(3);
  network.propose(1, "x");
  const leader = network.get(1);
  leader.transferLeadership(3);
  const messages = takeMessages(leader);
  assert.equal(ofType(messages, MessageType.TimeoutNow).length, 0);
  assert.equal(ofType(messages, MessageType.AppendEntries).length, 1);
  network.heal();
  for (const message of messages) network.deliver(message);
  network.settle();
  assert.equal(network.get(3).role, RaftRole.Leader);
});

Deno.test("transfer: proposals are rejected while it runs, and it ends after a timeout", () => {
  const network = cluster();
  network.elect(1);
  network.isolate(3);
  const leader = network.get(1);
  leader.transferLeadership(3);
  const result = leader.propose(new Uint8Array([1]));
  assert.deepEqual(result, { ok: false, reason: "leadership-transfer", leader: 1 });
  for (let tick = 0; tick < 10; tick++) leader.tick();
  assert.equal(leader.leadTransferee, 0);
  assert.equal(leader.propose(new Uint8Array([1])).ok, true);
});

Deno.test("transfer: learners and unknown nodes cannot receive leadership", () => {
  const network = new TestNetwork([1, 2].map((id) => newTestRaft(id, [1, 2], { learners: [3] })));
  network.elect(1);
  assert.equal(network.get(1).transferLeadership(3), false);
  assert.equal(network.get(1).transferLeadership(9), false);
});

Deno.test("read index: a read is confirmed after a majority answers a heartbeat round", () => {
  const network = cluster();
  network.elect(1);
  const leader = network.get(1);
  persist(leader);
  assert.equal(leader.readIndex(7), true);
  assert.deepEqual(leader.readStates, []);
  const heartbeats = ofType(takeMessages(leader), MessageType.Heartbeat);
  assert.equal(heartbeats.length, 2);
  assert.ok(heartbeats.every((message) => message.context > 0));
  network.deliver(heartbeats[0]!);
  const [response] = takeMessages(network.get(heartbeats[0]!.to));
  leader.step(response!);
  assert.deepEqual(leader.readStates, [{ index: leader.log.committed, requestId: 7 }]);
});

Deno.test("read index: followers refuse, and a leader cut off never confirms", () => {
  const network = cluster();
  network.elect(1);
  assert.equal(network.get(2).readIndex(1), false);
  network.isolate(1);
  const leader = network.get(1);
  leader.readIndex(2);
  network.settle();
  assert.deepEqual(leader.readStates, []);
});

Deno.test("read index: a new leader defers reads until it commits an entry of its term", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  raft.step(makeMessage({ type: MessageType.RequestVoteResponse, from: 2, to: 1, term: 1 }));
  takeMessages(raft);
  raft.readIndex(5);
  assert.equal(ofType(takeMessages(raft), MessageType.Heartbeat).length, 0);
  raft.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 2,
    to: 1,
    term: 1,
    index: 1,
  }));
  const heartbeats = ofType(takeMessages(raft), MessageType.Heartbeat);
  assert.equal(heartbeats.length, 2);
  raft.step(makeMessage({
    type: MessageType.HeartbeatResponse,
    from: 2,
    to: 1,
    term: 1,
    context: heartbeats[0]!.context,
  }));
  assert.deepEqual(raft.readStates, [{ index: 1, requestId: 5 }]);
});

Deno.test("lease: reads are served locally until the lease ends", () => {
  const options = { checkQuorum: true, readMode: "lease" as const, clockDriftBoundTicks: 2 };
  const network = cluster(options);
  // In lease mode a node ignores votes for its first election timeout; skip past it.
  for (const raft of network.replicas.values()) raft.tickCount = 10;
  network.elect(1);
  assert.equal(network.get(1).role, RaftRole.Leader);
  const leader = network.get(1);
  leader.tick();
  network.settle();
  // The heartbeat round sent at this tick was confirmed, so the lease runs 10 - 2 ticks from it.
  assert.equal(leader.leaseExpiryTick, leader.tickCount + 8);
  leader.readIndex(1);
  assert.deepEqual(leader.readStates, [{ index: leader.log.committed, requestId: 1 }]);
  assert.equal(ofType(takeMessages(leader), MessageType.Heartbeat).length, 0);
  network.isolate(1);
  for (let tick = 0; tick < 8; tick++) leader.tick();
  leader.readStates = [];
  takeMessages(leader);
  leader.readIndex(2);
  assert.deepEqual(leader.readStates, []);
});

Deno.test("lease: a restarted node ignores votes for one election timeout", () => {
  const raft = newTestRaft(2, [1, 2, 3], { checkQuorum: true, readMode: "lease" });
  const request = makeMessage({ type: MessageType.RequestVote, from: 3, to: 2, term: 5 });
  raft.step(request);
  assert.equal(takeMessages(raft).length, 0);
  assert.equal(raft.term, 0);
  for (let tick = 0; tick < 10; tick++) raft.tick();
  takeMessages(raft);
  raft.step(request);
  assert.equal(ofType(takeMessages(raft), MessageType.RequestVoteResponse)[0]!.reject, false);
});

Deno.test("flow control: replicate state stops at the in-flight window", () => {
  const network = cluster({ maxInflightMessages: 2 });
  network.isolate(3);
  network.elect(1);
  const leader = network.get(1);
  assert.equal(leader.tracker.progress.get(3)!.state, ProgressState.Probe);
  const progress2 = leader.tracker.progress.get(2)!;
  assert.equal(progress2.state, ProgressState.Replicate);
  network.isolate(2);
  takeMessages(leader);
  for (let i = 0; i < 5; i++) leader.propose(new TextEncoder().encode(`w${i}`));
  const appends = ofType(takeMessages(leader), MessageType.AppendEntries);
  assert.equal(appends.filter((message) => message.to === 2).length, 2);
  assert.ok(progress2.isPaused());
});

Deno.test("flow control: probe state sends one append per answer", () => {
  const network = cluster();
  network.isolate(3);
  network.elect(1);
  const leader = network.get(1);
  leader.reportUnreachable(2);
  takeMessages(leader);
  for (let i = 0; i < 3; i++) leader.propose(new TextEncoder().encode(`w${i}`));
  const appends = ofType(takeMessages(leader), MessageType.AppendEntries);
  // Node 2 was reset to probe and gets one append. Node 3 never acknowledged the probe sent at
  // the election, so it gets none until a heartbeat response arrives.
  assert.equal(appends.filter((message) => message.to === 2).length, 1);
  assert.equal(appends.filter((message) => message.to === 3).length, 0);
  assert.equal(leader.tracker.progress.get(3)!.state, ProgressState.Probe);
});

Deno.test("flow control: a probe answered at the match resumes streaming", () => {
  const network = cluster();
  network.elect(1);
  const leader = network.get(1);
  const progress = leader.tracker.progress.get(2)!;
  leader.reportUnreachable(2);
  assert.equal(progress.state, ProgressState.Probe);
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 2,
    to: 1,
    term: 1,
    index: progress.match,
  }));
  assert.equal(progress.state, ProgressState.Replicate);
});

Deno.test("flow control: proposals past the uncommitted limit are rejected", () => {
  const network = cluster({ maxUncommittedSizeBytes: 10 });
  network.elect(1);
  network.isolate(1);
  const leader = network.get(1);
  assert.equal(leader.propose(new Uint8Array(8)).ok, true);
  assert.deepEqual(leader.propose(new Uint8Array(8)), {
    ok: false,
    reason: "too-many-uncommitted",
    leader: 1,
  });
  network.heal();
  network.settle();
  // Once the first entry commits, its bytes no longer count.
  leader.tick();
  network.settle();
  assert.equal(leader.propose(new Uint8Array(8)).ok, true);
});

Deno.test("read index: reads past the pending limit are rejected", () => {
  const network = cluster({ maxPendingReads: 2 });
  network.elect(1);
  network.isolate(1);
  const leader = network.get(1);
  assert.equal(leader.readIndex(1), true);
  assert.equal(leader.readIndex(2), true);
  assert.equal(leader.readIndex(3), false);
});
