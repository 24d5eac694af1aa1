/**
 * Majority arithmetic for one voter set: which index a majority has acknowledged, and whether a
 * set of votes wins, loses or is still pending.
 *
 * Membership changes add or remove one voter at a time (`conf_change.ts`), so any two successive
 * configurations share a majority and a single majority configuration suffices; there is no joint
 * configuration. Learners are never passed in here, so they never count towards a quorum.
 *
 * @module
 */

import type { NodeId } from "./types.ts";

/** Outcome of counting votes. Values are internal and never persisted. */
export const VoteResult = {
  Pending: 0,
  Lost: 1,
  Won: 2,
} as const;
/** Outcome of counting votes. */
export type VoteResult = typeof VoteResult[keyof typeof VoteResult];

/** Number of voters that form a majority of `voterCount` voters. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * Returns the largest index that a majority of `voters` has acknowledged, reading each voter's
 * acknowledged index from `ackedIndex` (undefined counts as 0). An empty voter set returns
 * `Infinity`, so that callers taking a minimum over configurations are unaffected.
 */
export function committedIndex(
  voters: ReadonlySet<NodeId>,
  ackedIndex: (id: NodeId) => number | undefined,
): number {
  if (voters.size === 0) return Infinity;
  const acked: number[] = [];
  for (const id of voters) acked.push(ackedIndex(id) ?? 0);
  acked.sort((a, b) => b - a);
  // Sorted in decreasing order, the value at position quorumSize-1 is held by a majority.
  const value = acked[quorumSize(voters.size) - 1];
  return value ?? 0;
}

/**
 * Tallies `votes` (true: granted, false: rejected) against `voters`. Votes from ids outside
 * `voters` are ignored. An empty voter set wins, which only a replica without members can reach.
 */
export function voteResult(
  voters: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const needed = quorumSize(voters.size);
  if (granted >= needed) return VoteResult.Won;
  if (granted + missing >= needed) return VoteResult.Pending;
  return VoteResult.Lost;
}
