/**
 * Linearizable reads at the leader (ReadIndex): each read is tied to a heartbeat round, and is
 * released once a majority of voters acknowledged that round, which proves that no newer leader
 * existed when the round was sent.
 *
 * Rounds are numbered per leadership term from 1 and travel in the heartbeat's `context`. An
 * acknowledgement of round r also confirms every earlier round, since the leader still led when it
 * sent r. With leases enabled, every heartbeat starts a round, and a confirmed round extends the
 * lease (see `Raft` for the clock-drift bound).
 *
 * @module
 */

import { VoteResult, voteResult } from "./quorum.ts";
import type { NodeId, ReadState } from "./types.ts";

interface ReadRound {
  readonly round: number;
  /** Commit index when the round started. A read in this round returns state at least this new. */
  readonly commitIndex: number;
  /** Leader tick count when the round's heartbeat was sent. */
  readonly sentTick: number;
  readonly requestIds: number[];
  readonly acks: Map<NodeId, boolean>;
}

/** Outstanding read rounds of a leader. */
export class ReadOnlyTracker {
  #rounds: ReadRound[] = [];
  #nextRound = 1;

  /** Starts a round for `requestIds`; returns its number for the heartbeat context. */
  startRound(
    options: { commitIndex: number; sentTick: number; requestIds: number[]; self: NodeId },
  ): number {
    const round = this.#nextRound++;
    const acks = new Map<NodeId, boolean>([[options.self, true]]);
    this.#rounds.push({ round, ...options, acks });
    return round;
  }

  /**
   * Records `from`'s acknowledgement of `round`. When a majority of `voters` confirms it, removes
   * the round and every earlier one, and returns their reads plus the confirmed round's send tick.
   */
  acknowledge(
    from: NodeId,
    round: number,
    voters: ReadonlySet<NodeId>,
  ): { readStates: ReadState[]; sentTick: number } | undefined {
    const position = this.#rounds.findIndex((entry) => entry.round === round);
    const confirmed = this.#rounds[position];
    if (!confirmed) return undefined;
    confirmed.acks.set(from, true);
    if (voteResult(voters, confirmed.acks) !== VoteResult.Won) return undefined;
    const released = this.#rounds.splice(0, position + 1);
    const readStates: ReadState[] = [];
    for (const entry of released) {
      for (const requestId of entry.requestIds) {
        readStates.push({ index: entry.commitIndex, requestId });
      }
    }
    return { readStates, sentTick: confirmed.sentTick };
  }

  /** Re-checks every round against `voters` after a membership change. */
  recheck(voters: ReadonlySet<NodeId>): { readStates: ReadState[]; sentTick: number } | undefined {
    let result: { readStates: ReadState[]; sentTick: number } | undefined;
    for (let i = this.#rounds.length - 1; i >= 0; i--) {
      const entry = this.#rounds[i]!;
      if (voteResult(voters, entry.acks) === VoteResult.Won) {
        const self = [...entry.acks.keys()][0]!;
        result = this.acknowledge(self, entry.round, voters);
        break;
      }
    }
    return result;
  }

  /** Number of reads waiting for confirmation. */
  pendingCount(): number {
    let count = 0;
    for (const entry of this.#rounds) count += entry.requestIds.length;
    return count;
  }

  /** Drops every round; their reads are abandoned (the caller times them out). */
  reset(): void {
    this.#rounds = [];
    this.#nextRound = 1;
  }
}
