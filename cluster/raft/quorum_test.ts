/**
 * Tests of the majority arithmetic, checked against a brute-force count over random inputs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { committedIndex, quorumSize, VoteResult, voteResult } from "./quorum.ts";
import { SeededRandom } from "./testing/random.ts";

Deno.test("quorumSize is a strict majority", () => {
  assert.equal(quorumSize(1), 1);
  assert.equal(quorumSize(2), 2);
  assert.equal(quorumSize(3), 2);
  assert.equal(quorumSize(4), 3);
  assert.equal(quorumSize(5), 3);
});

Deno.test("committedIndex picks the index a majority holds", () => {
  const acked = new Map([[1, 5], [2, 3], [3, 9]]);
  assert.equal(committedIndex(new Set([1, 2, 3]), (id) => acked.get(id)), 5);
  assert.equal(committedIndex(new Set([1, 2]), (id) => acked.get(id)), 3);
  assert.equal(committedIndex(new Set([1]), (id) => acked.get(id)), 5);
});

Deno.test("committedIndex counts unknown voters as 0", () => {
  const acked = new Map([[1, 7]]);
  assert.equal(committedIndex(new Set([1, 2, 3]), (id) => acked.get(id)), 0);
  assert.equal(committedIndex(new Set(), () => 0), Infinity);
});

Deno.test("committedIndex matches brute force", () => {
  const random = new SeededRandom(7);
  for (let trial = 0; trial < 500; trial++) {
    const voterCount = random.intBetween(1, 7);
    const voters = new Set(Array.from({ length: voterCount }, (_, i) => i + 1));
    const acked = new Map([...voters].map((id) => [id, random.intBelow(20)]));
    let expected = 0;
    for (let index = 0; index < 20; index++) {
      const holders = [...voters].filter((id) => acked.get(id)! >= index).length;
      if (holders >= quorumSize(voterCount)) expected = index;
    }
    assert.equal(committedIndex(voters, (id) => acked.get(id)), expected);
  }
});

Deno.test("voteResult wins, loses or waits", () => {
  const voters = new Set([1, 2, 3]);
  assert.equal(voteResult(voters, new Map([[1, true]])), VoteResult.Pending);
  assert.equal(voteResult(voters, new Map([[1, true], [2, true]])), VoteResult.Won);
  assert.equal(voteResult(voters, new Map([[1, true], [2, false]])), VoteResult.Pending);
  assert.equal(voteResult(voters, new Map([[1, false], [2, false]])), VoteResult.Lost);
});

Deno.test("voteResult ignores votes of non-voters", () => {
  const voters = new Set([1, 2, 3]);
  const votes = new Map([[1, true], [4, true], [5, true]]);
  assert.equal(voteResult(voters, votes), VoteResult.Pending);
});
