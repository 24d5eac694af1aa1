/**
 * The membership of a group as one replica applies it, the leader's per-member progress, and the
 * votes of the current election.
 *
 * Every replica keeps a tracker because every replica must know the voters to campaign and to
 * count votes; only the leader uses the progress entries. Only voters count for quorums: a
 * learner's acknowledgement or vote, or one from a removed member, is ignored.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";
import { Progress } from "./progress.ts";
import { committedIndex, VoteResult, voteResult } from "./quorum.ts";
import type { ConfState, NodeId } from "./types.ts";

/** Membership, progress and votes of one group. */
export class ProgressTracker {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  /** Progress of every voter and learner, keyed by id. */
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  /** Returns the membership as a {@linkcode ConfState}, with ids in increasing order. */
  confState(): ConfState {
    return {
      voters: [...this.voters].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
    };
  }

  /** Replaces the membership with `confState`, giving every member fresh progress at `next`. */
  reset(confState: ConfState, next: number): void {
    this.voters.clear();
    this.learners.clear();
    this.progress.clear();
    for (const id of confState.voters) this.addVoter(id, next);
    for (const id of confState.learners) this.addLearner(id, next);
  }

  /** Adds `id` as a voter, or promotes it if it is a learner. */
  addVoter(id: NodeId, next: number): void {
    if (this.learners.delete(id)) {
      this.voters.add(id);
      this.progress.get(id)!.isLearner = false;
      return;
    }
    if (this.voters.has(id)) return;
    this.voters.add(id);
    this.progress.set(id, this.#newProgress(next, false));
  }

  /** Adds `id` as a learner. A current voter stays a voter: demotion is not supported. */
  addLearner(id: NodeId, next: number): boolean {
    if (this.voters.has(id)) return false;
    if (this.learners.has(id)) return true;
    this.learners.add(id);
    this.progress.set(id, this.#newProgress(next, true));
    return true;
  }

  /** Removes `id`, whether voter or learner. */
  remove(id: NodeId): void {
    this.voters.delete(id);
    this.learners.delete(id);
    this.progress.delete(id);
    this.votes.delete(id);
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  /** Returns the largest index that a majority of voters has acknowledged. */
  committed(): number {
    const index = committedIndex(this.voters, (id) => this.progress.get(id)?.match);
    return index === Infinity ? 0 : index;
  }

  /** Records a vote from `id`, ignoring ids that are not voters. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.voters.has(id)) return;
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters, this.votes);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Returns whether a majority of voters was recently active, counting `self` as active. */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const id of this.voters) {
      active.set(id, id === self || (this.progress.get(id)?.recentActive ?? false));
    }
    return voteResult(this.voters, active) === VoteResult.Won;
  }

  #newProgress(next: number, isLearner: boolean): Progress {
    assert(next >= 1, `progress next ${next} below 1`);
    const progress = new Progress({
      match: 0,
      next,
      maxInflight: this.maxInflight,
      isLearner,
    });
    // A new member counts as active until the first check-quorum round, so adding it cannot
    // make the leader step down at once.
    progress.recentActive = true;
    return progress;
  }
}
