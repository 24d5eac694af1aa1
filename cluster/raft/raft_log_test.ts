/**
 * Tests of the combined stable and unstable log: appends, conflicts, commit rules and storage
 * compaction.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LogCompactedError, MemoryLogStorage } from "./log_storage.ts";
import { RaftLog } from "./raft_log.ts";
import { entriesWithTerms } from "./testing/raft_harness.ts";

function logWithTerms(terms: number[]): RaftLog {
  const storage = new MemoryLogStorage();
  storage.append(entriesWithTerms(terms));
  return new RaftLog(storage, Infinity);
}

Deno.test("RaftLog maybeAppend rejects a mismatched previous entry", () => {
  const log = logWithTerms([1, 2, 2]);
  assert.equal(log.maybeAppend(3, 1, 0, entriesWithTerms([3], 4)), undefined);
  assert.equal(log.lastIndex(), 3);
});

Deno.test("RaftLog maybeAppend cuts a conflicting suffix", () => {
  const log = logWithTerms([1, 2, 2]);
  assert.equal(log.maybeAppend(1, 1, 0, entriesWithTerms([3], 2)), 2);
  assert.equal(log.lastIndex(), 2);
  assert.equal(log.term(2), 3);
});

Deno.test("RaftLog maybeAppend keeps entries a stale append matches", () => {
  const log = logWithTerms([1, 2, 2]);
  assert.equal(log.maybeAppend(1, 1, 0, entriesWithTerms([2], 2)), 2);
  assert.equal(log.lastIndex(), 3);
});

Deno.test("RaftLog maybeAppend commits up to the last new entry", () => {
  const log = logWithTerms([1, 1]);
  log.maybeAppend(2, 1, 10, entriesWithTerms([1], 3));
  assert.equal(log.committed, 3);
});

Deno.test("RaftLog refuses to replace a committed entry", () => {
  const log = logWithTerms([1, 1, 1]);
  log.commitTo(3);
  assert.throws(() => log.maybeAppend(1, 1, 3, entriesWithTerms([2], 2)), /committed/);
});

Deno.test("RaftLog isUpToDate compares last term, then length", () => {
  const log = logWithTerms([1, 2, 2]);
  assert.equal(log.isUpToDate(3, 2), true);
  assert.equal(log.isUpToDate(2, 2), false);
  assert.equal(log.isUpToDate(1, 3), true);
  assert.equal(log.isUpToDate(9, 1), false);
});

Deno.test("RaftLog maybeCommit commits only entries of the given term", () => {
  const log = logWithTerms([1, 2]);
  assert.equal(log.maybeCommit(2, 3), false);
  assert.equal(log.committed, 0);
  assert.equal(log.maybeCommit(2, 2), true);
  assert.equal(log.committed, 2);
});

Deno.test("RaftLog findConflictByTerm skips entries of higher terms", () => {
  const log = logWithTerms([1, 1, 4, 4, 5]);
  assert.equal(log.findConflictByTerm(5, 3), 2);
  assert.equal(log.findConflictByTerm(5, 4), 4);
  assert.equal(log.findConflictByTerm(9, 9), 5);
});

Deno.test("RaftLog nextCommittedEntries returns committed, unapplied entries", () => {
  const log = logWithTerms([1, 1, 1]);
  log.commitTo(2);
  assert.deepEqual(log.nextCommittedEntries().map((entry) => entry.index), [1, 2]);
  log.appliedTo(2);
  assert.deepEqual(log.nextCommittedEntries(), []);
  assert.equal(log.hasNextCommittedEntries(), false);
});

Deno.test("MemoryLogStorage compacts behind a snapshot", () => {
  const storage = new MemoryLogStorage();
  storage.append(entriesWithTerms([1, 1, 2, 2, 2]));
  storage.createSnapshot(4, { voters: [1], learners: [] }, new Uint8Array([7]));
  storage.compact(3);
  assert.equal(storage.firstIndex(), 4);
  assert.equal(storage.term(3), 2);
  assert.throws(() => storage.term(2), LogCompactedError);
  assert.throws(() => storage.entries(3, 5, Infinity), LogCompactedError);
  assert.throws(() => storage.compact(5), /past snapshot/);
  const log = new RaftLog(storage, Infinity);
  assert.equal(log.term(2), undefined);
  assert.equal(log.firstIndex(), 4);
});

Deno.test("RaftLog slice joins storage and unstable entries within a size limit", () => {
  const log = logWithTerms([1, 1]);
  log.append(entriesWithTerms([2, 2], 3));
  assert.deepEqual(log.slice(1, 5, Infinity).map((entry) => entry.index), [1, 2, 3, 4]);
  // Each test entry has 7 bytes of data, so 10 bytes fit one entry (the first always fits).
  assert.deepEqual(log.slice(1, 5, 10).map((entry) => entry.index), [1]);
  assert.deepEqual(log.slice(2, 5, 15).map((entry) => entry.index), [2, 3]);
});
