/**
 * Scripted tests of the rules of the Raft paper (Ongaro and Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", 2014): elections, the vote rules, log matching, and the
 * commit rule. Each test builds replicas with a fixed election timeout (the random part is
 * always 0), feeds them exact messages or ticks, and checks state and output messages.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  entriesWithTerms,
  newTestRaft,
  ofType,
  takeMessages,
  TestNetwork,
} from "./testing/raft_harness.ts";
import { makeMessage, type Message, MessageType, RaftRole } from "./types.ts";

function voteRequest(from: number, term: number, lastIndex: number, lastTerm: number): Message {
  return makeMessage({
    type: MessageType.RequestVote,
    from,
    to: 1,
    term,
    index: lastIndex,
    logTerm: lastTerm,
  });
}

function voteResponse(from: number, term: number, reject = false): Message {
  return makeMessage({ type: MessageType.RequestVoteResponse, from, to: 1, term, reject });
}

Deno.test("election: follower waits a full election timeout", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  for (let tick = 0; tick < 9; tick++) raft.tick();
  assert.equal(raft.role, RaftRole.Follower);
  assert.equal(takeMessages(raft).length, 0);
});

Deno.test("election: timed-out follower votes for itself and asks every voter", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  for (let tick = 0; tick < 10; tick++) raft.tick();
  assert.equal(raft.role, RaftRole.Candidate);
  assert.equal(raft.term, 1);
  assert.equal(raft.vote, 1);
  const requests = ofType(takeMessages(raft), MessageType.RequestVote);
  assert.deepEqual(requests.map((message) => message.to), [2, 3]);
  assert.ok(requests.every((message) => message.term === 1));
});

Deno.test("election: candidate with a majority becomes leader and appends an empty entry", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  raft.step(voteResponse(2, 1));
  assert.equal(raft.role, RaftRole.Leader);
  assert.equal(raft.leader, 1);
  assert.equal(raft.log.lastIndex(), 1);
  assert.equal(raft.log.term(1), 1);
  assert.equal(raft.log.unstableEntries()[0]!.data.byteLength, 0);
});

Deno.test("election: candidate rejected by a majority returns to follower", () => {
  const raft = newTestRaft(1, [1, 2, 3, 4, 5]);
  raft.campaign();
  raft.step(voteResponse(2, 1, true));
  raft.step(voteResponse(3, 1, true));
  assert.equal(raft.role, RaftRole.Candidate);
  raft.step(voteResponse(4, 1, true));
  assert.equal(raft.role, RaftRole.Follower);
  assert.equal(raft.term, 1);
});

Deno.test("election: candidate steps down for a leader of its term", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  raft.step(makeMessage({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1 }));
  assert.equal(raft.role, RaftRole.Follower);
  assert.equal(raft.leader, 2);
});

Deno.test("election: split vote times out into a new term", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  raft.step(voteResponse(2, 1, true));
  assert.equal(raft.role, RaftRole.Candidate);
  for (let tick = 0; tick < 10; tick++) raft.tick();
  assert.equal(raft.role, RaftRole.Candidate);
  assert.equal(raft.term, 2);
});

Deno.test("election: at most one leader per term in a split network", () => {
  const network = new TestNetwork([1, 2, 3, 4, 5].map((id) => newTestRaft(id, [1, 2, 3, 4, 5])));
  network.isolate(1, [3, 4, 5]);
  network.isolate(2, [3, 4, 5]);
  network.elect(1);
  assert.equal(network.get(1).role, RaftRole.Candidate);
  network.elect(3);
  assert.equal(network.get(3).role, RaftRole.Leader);
  const leaders = [...network.replicas.values()].filter((raft) => raft.role === RaftRole.Leader);
  assert.equal(leaders.length, 1);
});

Deno.test("vote: one vote per term, repeatable for the same candidate", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.step(voteRequest(2, 1, 0, 0));
  raft.step(voteRequest(3, 1, 0, 0));
  raft.step(voteRequest(2, 1, 0, 0));
  const responses = ofType(takeMessages(raft), MessageType.RequestVoteResponse);
  assert.deepEqual(responses.map((message) => [message.to, message.reject]), [
    [2, false],
    [3, true],
    [2, false],
  ]);
  assert.equal(raft.vote, 2);
});

Deno.test("vote: rejected for a candidate with a shorter log", () => {
  const raft = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 2, 2]), term: 2 });
  raft.step(voteRequest(2, 3, 2, 2));
  const [response] = takeMessages(raft);
  assert.equal(response!.reject, true);
  assert.equal(raft.vote, 0);
});

Deno.test("vote: rejected for a candidate with an older last term", () => {
  const raft = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 2, 2]), term: 2 });
  raft.step(voteRequest(2, 3, 9, 1));
  const [response] = takeMessages(raft);
  assert.equal(response!.reject, true);
});

Deno.test("vote: granted to a candidate whose log is at least as up to date", () => {
  const equal = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 2, 2]), term: 2 });
  equal.step(voteRequest(2, 3, 3, 2));
  assert.equal(takeMessages(equal)[0]!.reject, false);
  const newerTerm = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 2, 2]), term: 2 });
  newerTerm.step(voteRequest(3, 3, 1, 3));
  assert.equal(takeMessages(newerTerm)[0]!.reject, false);
  assert.equal(newerTerm.vote, 3);
});

Deno.test("vote: the testing flag grants votes to shorter logs", () => {
  const raft = newTestRaft(1, [1, 2, 3], {
    entries: entriesWithTerms([1, 2, 2]),
    term: 2,
    testingGrantVotesToShorterLogs: true,
  });
  raft.step(voteRequest(2, 3, 1, 1));
  assert.equal(takeMessages(raft)[0]!.reject, false);
});

Deno.test("term: a higher term turns a leader into a follower", () => {
  const raft = newTestRaft(1, [1, 2, 3]);
  raft.campaign();
  raft.step(voteResponse(2, 1));
  assert.equal(raft.role, RaftRole.Leader);
  raft.step(makeMessage({ type: MessageType.AppendEntriesResponse, from: 3, to: 1, term: 5 }));
  assert.equal(raft.role, RaftRole.Follower);
  assert.equal(raft.term, 5);
  assert.equal(raft.vote, 0);
});

Deno.test("term: messages of an older term change nothing", () => {
  const raft = newTestRaft(1, [1, 2, 3], { term: 4 });
  raft.step(makeMessage({
    type: MessageType.AppendEntries,
    from: 2,
    to: 1,
    term: 3,
    entries: entriesWithTerms([3]),
  }));
  assert.equal(raft.term, 4);
  assert.equal(raft.leader, 0);
  assert.equal(raft.log.lastIndex(), 0);
});

Deno.test("log matching: append after a missing entry is rejected with a hint", () => {
  const raft = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 1]), term: 2 });
  raft.step(makeMessage({
    type: MessageType.AppendEntries,
    from: 2,
    to: 1,
    term: 2,
    index: 5,
    logTerm: 2,
    entries: entriesWithTerms([2], 6),
  }));
  const [response] = takeMessages(raft);
  assert.equal(response!.type, MessageType.AppendEntriesResponse);
  assert.equal(response!.reject, true);
  assert.equal(response!.index, 5);
  assert.equal(response!.rejectHint, 2);
  assert.equal(response!.logTerm, 1);
  assert.equal(raft.log.lastIndex(), 2);
});

Deno.test("log matching: append replaces entries that conflict with the leader's", () => {
  const raft = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 1, 1]), term: 2 });
  raft.step(makeMessage({
    type: MessageType.AppendEntries,
    from: 2,
    to: 1,
    term: 2,
    index: 1,
    logTerm: 1,
    entries: entriesWithTerms([2], 2),
  }));
  const [response] = takeMessages(raft);
  assert.equal(response!.reject, false);
  assert.equal(response!.index, 2);
  assert.equal(raft.log.lastIndex(), 2);
  assert.equal(raft.log.term(2), 2);
});

Deno.test("log matching: leader walks back to the last matching entry", () => {
  const leader = newTestRaft(1, [1, 2], { entries: entriesWithTerms([1, 1, 3, 3]), term: 3 });
  const follower = newTestRaft(2, [1, 2], { entries: entriesWithTerms([1, 1, 2, 2, 2]), term: 3 });
  const network = new TestNetwork([leader, follower]);
  network.elect(1);
  assert.equal(leader.role, RaftRole.Leader);
  const rejections = network.delivered.filter((message) =>
    message.type === MessageType.AppendEntriesResponse && message.reject
  );
  // One rejection suffices: the hint skips the follower's whole run of term-2 entries.
  assert.equal(rejections.length, 1);
  const termsOf = (raft: typeof leader) =>
    raft.log.slice(1, raft.log.lastIndex() + 1, Infinity).map((entry) => entry.term);
  assert.deepEqual(termsOf(follower), [1, 1, 3, 3, 4]);
  assert.deepEqual(termsOf(follower), termsOf(leader));
  assert.equal(follower.log.committed, 5);
});

Deno.test("commit: leader commits an entry stored by a majority", () => {
  const network = new TestNetwork([1, 2, 3].map((id) => newTestRaft(id, [1, 2, 3])));
  network.isolate(3);
  network.elect(1);
  network.propose(1, "x");
  assert.equal(network.get(1).log.committed, 2);
  assert.equal(network.get(2).log.committed, 2);
  assert.equal(network.get(3).log.committed, 0);
  assert.equal(network.get(3).log.lastIndex(), 0);
});

Deno.test("commit: entries of an earlier term commit only behind one of the current term", () => {
  const leader = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 2]), term: 2 });
  leader.campaign();
  leader.step(voteResponse(2, 3));
  assert.equal(leader.role, RaftRole.Leader);
  assert.equal(leader.log.term(3), 3);
  // Voter 2 stores up to index 2 (term 2): a majority has it, but it is not of term 3.
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 2,
    to: 1,
    term: 3,
    index: 2,
  }));
  assert.equal(leader.log.committed, 0);
  leader.step(makeMessage({
    type: MessageType.AppendEntriesResponse,
    from: 2,
    to: 1,
    term: 3,
    index: 3,
  }));
  assert.equal(leader.log.committed, 3);
});

Deno.test("commit: follower learns the commit index from heartbeats", () => {
  const raft = newTestRaft(1, [1, 2, 3], { entries: entriesWithTerms([1, 1, 1]), term: 1 });
  raft.step(makeMessage({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1, commit: 2 }));
  assert.equal(raft.log.committed, 2);
  const [response] = takeMessages(raft);
  assert.equal(response!.type, MessageType.HeartbeatResponse);
});
