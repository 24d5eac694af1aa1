/**
 * Scripted tests of snapshots: a leader whose log no longer contains what a follower needs sends
 * its snapshot, the follower replaces its log with it, and replication resumes after it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MemoryLogStorage } from "./log_storage.ts";
import { ProgressState } from "./progress.ts";
import {
  entriesWithTerms,
  newTestRaft,
  ofType,
  persist,
  takeMessages,
  TestNetwork,
} from "./testing/raft_harness.ts";
import { makeMessage, MessageType, RaftRole, type Snapshot } from "./types.ts";

const confState = { voters: [1, 2, 3], learners: [] };

function snapshotAt(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState }, data: new TextEncoder().encode(`state ${index}`) };
}

/** Builds a leader of term 2 whose log contains entries 1..10 of term 1, compacted up to 8. */
function compactedLeader() {
  const storage = new MemoryLogStorage();
  storage.applySnapshot({
    metadata: { index: 0, term: 0, confState },
    data: new Uint8Array(0),
  });
  storage.append(entriesWithTerms([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
  storage.hardState = { term: 1, vote: 0, commit: 10 };
  storage.createSnapshot(8, confState, new TextEncoder().encode("state 8"));
  storage.compact(8);
  const leader = newTestRaft(1, [1, 2, 3], { storage });
  leader.campaign();
  leader.step(makeMessage({ type: MessageType.RequestVoteResponse, from: 2, to: 1, term: 2 }));
  assert.equal(leader.role, RaftRole.Leader);
  persist(leader);
  takeMessages(leader);
  return leader;
}

Deno.test("snapshot: leader sends its snapshot when entries are compacted", () => {
  const leader = compactedLeader();
  // Follower 3 reports an empty log.
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 3,
    to: 1,
    term: 2,
    index: 10,
    reject: true,
    rejectHint: 0,
  }));
  const [message] = ofType(takeMessages(leader), MessageType.InstallSnapshot);
  assert.ok(message);
  assert.equal(message.to, 3);
  assert.equal(message.snapshot!.metadata.index, 8);
  const progress = leader.tracker.progress.get(3)!;
  assert.equal(progress.state, ProgressState.Snapshot);
  assert.equal(progress.pendingSnapshot, 8);
});

Deno.test("snapshot: acknowledged snapshot resumes replication after it", () => {
  const leader = compactedLeader();
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 3,
    to: 1,
    term: 2,
    index: 10,
    reject: true,
  }));
  takeMessages(leader);
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 3,
    to: 1,
    term: 2,
    index: 8,
  }));
  const progress = leader.tracker.progress.get(3)!;
  assert.equal(progress.state, ProgressState.Replicate);
  const [append] = ofType(takeMessages(leader), MessageType.AppendEntries);
  assert.equal(append!.index, 8);
  assert.deepEqual(append!.entries.map((entry) => entry.index), [9, 10, 11]);
});

Deno.test("snapshot: leader retries a snapshot left unanswered for an election timeout", () => {
  const leader = compactedLeader();
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 3,
    to: 1,
    term: 2,
    index: 10,
    reject: true,
  }));
  takeMessages(leader);
  for (let tick = 0; tick < 10; tick++) leader.tick();
  assert.equal(leader.tracker.progress.get(3)!.state, ProgressState.Probe);
});

Deno.test("snapshot: follower replaces its log and adopts the snapshot's membership", () => {
  const follower = newTestRaft(2, [1, 2], { entries: entriesWithTerms([1, 1]), term: 1 });
  follower.step(makeMessage({
    type: MessageType.InstallSnapshot,
    from: 1,
    to: 2,
    term: 2,
    snapshot: snapshotAt(20, 2),
  }));
  assert.equal(follower.log.committed, 20);
  assert.equal(follower.log.lastIndex(), 20);
  assert.equal(follower.log.firstIndex(), 21);
  assert.equal(follower.log.unstable.snapshot?.metadata.index, 20);
  assert.deepEqual([...follower.tracker.voters], [1, 2, 3]);
  const [response] = takeMessages(follower);
  assert.equal(response!.type, MessageType.AppendEntriesResponse);
  assert.equal(response!.index, 20);
});

Deno.test("snapshot: follower ignores a snapshot behind its commit index", () => {
  const follower = newTestRaft(2, [1, 2, 3], { entries: entriesWithTerms([1, 1, 1]), term: 1 });
  follower.log.commitTo(3);
  follower.step(makeMessage({
    type: MessageType.InstallSnapshot,
    from: 1,
    to: 2,
    term: 1,
    snapshot: snapshotAt(2, 1),
  }));
  assert.equal(follower.log.unstable.snapshot, undefined);
  assert.equal(takeMessages(follower)[0]!.index, 3);
});

Deno.test("snapshot: follower whose log holds the snapshot's last entry only commits", () => {
  const follower = newTestRaft(2, [1, 2, 3], { entries: entriesWithTerms([1, 1, 1]), term: 1 });
  follower.step(makeMessage({
    type: MessageType.InstallSnapshot,
    from: 1,
    to: 2,
    term: 1,
    snapshot: snapshotAt(2, 1),
  }));
  assert.equal(follower.log.unstable.snapshot, undefined);
  assert.equal(follower.log.committed, 2);
  assert.equal(follower.log.lastIndex(), 3);
});

Deno.test("snapshot: isolated follower catches up through a snapshot", () => {
  const replicas = [1, 2, 3].map((id) => newTestRaft(id, [1, 2, 3]));
  const network = new TestNetwork(replicas);
  network.elect(1);
  network.isolate(3);
  for (let i = 0; i < 5; i++) network.propose(1, `write ${i}`);
  const leader = network.get(1);
  const storage = leader.log.storage as MemoryLogStorage;
  storage.createSnapshot(leader.log.committed, confState, new TextEncoder().encode("image"));
  storage.compact(leader.log.committed);
  network.heal();
  network.tickAll(3);
  const follower = network.get(3);
  assert.ok(network.delivered.some((message) => message.type === MessageType.InstallSnapshot));
  assert.equal(follower.log.committed, leader.log.committed);
  assert.equal(follower.log.lastIndex(), leader.log.lastIndex());
  assert.equal(leader.tracker.progress.get(3)!.state, ProgressState.Replicate);
});
