/**
 * Raft safety properties checked while a simulation runs and after it ends:
 * - election safety: at most one leader per term and group;
 * - leader completeness: a new leader's log contains every entry already applied anywhere;
 * - state machine safety: no two replicas apply different entries at one index, and every
 *   replica's rolling hash of applied commands agrees at each index (which also covers
 *   snapshots);
 * - log matching: two logs with an entry of the same index and term agree on every entry up to
 *   that index.
 *
 * Each failed check appends a readable description to `violations`.
 *
 * @module
 */

import type { Raft } from "../raft.ts";
import type { GroupId } from "../runtime_interfaces.ts";
import { type Entry, type NodeId, RaftRole } from "../types.ts";

const decoder = new TextDecoder();

/** Collects observations from every replica and records violations. */
export class SafetyChecker {
  readonly violations: string[] = [];
  /** Distinct (group, term) pairs that had a leader. */
  electionCount = 0;
  /** "group:term" → leader. */
  readonly #leaders = new Map<string, NodeId>();
  /** Per group: index → "term:data" of the entry applied there. */
  readonly #applied = new Map<GroupId, Map<number, string>>();
  /** Per group: index of a command → rolling hash after applying it. */
  readonly #hashes = new Map<GroupId, Map<number, number>>();

  /** Checks a replica's role; call after every simulation event. */
  observeRole(groupId: GroupId, nodeId: NodeId, raft: Raft): void {
    if (raft.role !== RaftRole.Leader) return;
    const key = `${groupId}:${raft.term}`;
    const known = this.#leaders.get(key);
    if (known === nodeId) return;
    if (known !== undefined) {
      this.#report(
        `election safety: group ${groupId} term ${raft.term} has leaders ${known} and ${nodeId}`,
      );
      return;
    }
    this.#leaders.set(key, nodeId);
    this.electionCount++;
    this.#checkLeaderCompleteness(groupId, nodeId, raft);
  }

  /** Records an entry applied by a replica; call for every applied entry, in order. */
  observeApplied(groupId: GroupId, nodeId: NodeId, entry: Entry): void {
    const applied = mapFor(this.#applied, groupId);
    const identity = `${entry.term}:${decoder.decode(entry.data)}`;
    const known = applied.get(entry.index);
    if (known === undefined) applied.set(entry.index, identity);
    else if (known !== identity) {
      this.#report(
        `state machine safety: group ${groupId} node ${nodeId} applied ${identity} at index ` +
          `${entry.index}, another replica applied ${known}`,
      );
    }
  }

  /** Compares a replica's rolling hash after applying the command at `index`. */
  observeHash(groupId: GroupId, nodeId: NodeId, index: number, hash: number): void {
    if (index === 0) return;
    const hashes = mapFor(this.#hashes, groupId);
    const known = hashes.get(index);
    if (known === undefined) hashes.set(index, hash);
    else if (known !== hash) {
      this.#report(
        `state machine safety: group ${groupId} node ${nodeId} has state hash ${hash} after ` +
          `index ${index}, another replica has ${known}`,
      );
    }
  }

  /** Checks log matching between every pair of the given live replicas of one group. */
  checkLogMatching(groupId: GroupId, replicas: ReadonlyMap<NodeId, Raft>): void {
    const entries = [...replicas];
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const [leftId, left] = entries[i]!;
        const [rightId, right] = entries[j]!;
        const problem = compareLogs(left, right);
        if (problem) {
          this.#report(`log matching: group ${groupId} nodes ${leftId} and ${rightId}: ${problem}`);
        }
      }
    }
  }

  /** Number of distinct indexes applied in `groupId`. */
  appliedCount(groupId: GroupId): number {
    return this.#applied.get(groupId)?.size ?? 0;
  }

  #checkLeaderCompleteness(groupId: GroupId, nodeId: NodeId, raft: Raft): void {
    const applied = this.#applied.get(groupId);
    if (!applied) return;
    const first = raft.log.firstIndex();
    for (const [index, identity] of applied) {
      // Entries below the leader's first index are covered by its snapshot, which the state
      // hash checks.
      if (index < first) continue;
      const term = raft.log.term(index);
      const expectedTerm = Number(identity.slice(0, identity.indexOf(":")));
      if (term !== expectedTerm) {
        this.#report(
          `leader completeness: group ${groupId} node ${nodeId} leads term ${raft.term} with ` +
            `term ${term} at index ${index}, where term ${expectedTerm} was applied`,
        );
        return;
      }
    }
  }

  #report(description: string): void {
    if (this.violations.length < 20) this.violations.push(description);
  }
}

function mapFor<K, V>(maps: Map<GroupId, Map<K, V>>, groupId: GroupId): Map<K, V> {
  let map = maps.get(groupId);
  if (!map) {
    map = new Map();
    maps.set(groupId, map);
  }
  return map;
}

/** Returns a description of the first log-matching failure, or undefined. */
function compareLogs(left: Raft, right: Raft): string | undefined {
  const low = Math.max(left.log.firstIndex(), right.log.firstIndex());
  const high = Math.min(left.log.lastIndex(), right.log.lastIndex());
  let matched = false;
  for (let index = high; index >= low; index--) {
    const leftTerm = left.log.term(index);
    const rightTerm = right.log.term(index);
    if (leftTerm === rightTerm) matched = true;
    else if (matched) {
      return `terms ${leftTerm} and ${rightTerm} differ at index ${index} below a matching entry`;
    }
  }
  if (!matched || high < low) return undefined;
  // Entries with equal index and term must also carry the same data.
  const leftEntries = left.log.slice(low, high + 1, Infinity);
  const rightEntries = right.log.slice(low, high + 1, Infinity);
  for (let k = 0; k < leftEntries.length; k++) {
    const a = leftEntries[k]!;
    const b = rightEntries[k]!;
    if (a.term === b.term && !bytesEqual(a.data, b.data)) {
      return `entries at index ${a.index} term ${a.term} carry different data`;
    }
  }
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
