/**
 * Membership changes: one voter or learner added or removed per change, carried in a log entry
 * of type `ConfChange` and applied by every replica when it applies that entry.
 *
 * Safety rests on three rules that the core enforces:
 * - a change moves at most one voter, so the old and new majorities overlap;
 * - a leader proposes a change only after the previous one is applied, and only after it has
 *   applied an entry of its own term (without this, one-voter changes are unsafe across leader
 *   changes);
 * - a replica does not campaign while a committed change is still unapplied.
 *
 * Encoding (frozen, `cluster/FORMAT.md` "Membership change entry"): the CBOR array
 * `[type, nodeId]`.
 *
 * @module
 */

import { Encoder } from "cbor-x";
import { assert } from "../../util/assert.ts";
import type { NodeId } from "./types.ts";

const cbor = new Encoder(
  { tagUint8Array: false, useRecords: false } as ConstructorParameters<
    typeof Encoder
  >[0],
);

/** Kind of membership change. Frozen values. */
export const ConfChangeType = {
  /** Adds a voter, or promotes a learner to voter. */
  AddVoter: 0,
  /** Adds a learner, which receives the log but neither votes nor counts for commits. */
  AddLearner: 1,
  /** Removes a voter or learner. */
  RemoveNode: 2,
} as const;
/** Kind of membership change. */
export type ConfChangeType = typeof ConfChangeType[keyof typeof ConfChangeType];

/** One membership change. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/** Encodes `change` as the data of a `ConfChange` entry. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  return cbor.encode([change.type, change.nodeId]);
}

/** Decodes the data of a `ConfChange` entry. Throws on malformed data. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const value: unknown = cbor.decode(data);
  assert(Array.isArray(value), "conf change entry is not an array");
  assert(value.length === 2, `conf change entry has ${value.length} elements, expected 2`);
  const [type, nodeId] = value as unknown[];
  assert(
    type === ConfChangeType.AddVoter || type === ConfChangeType.AddLearner ||
      type === ConfChangeType.RemoveNode,
    `unknown conf change type ${String(type)}`,
  );
  assert(typeof nodeId === "number", "conf change node id is not a number");
  assert(Number.isInteger(nodeId), `conf change node id ${nodeId} is not an integer`);
  assert(nodeId > 0, `invalid conf change node id ${nodeId}: must be positive`);
  return { type, nodeId };
}
