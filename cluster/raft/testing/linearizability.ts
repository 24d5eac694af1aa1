/**
 * A linearizability checker for histories of single-key operations, after Wing and Gong's search
 * with the state cache of Lowe's refinement (the method of the Porcupine checker, written anew
 * here). No maintained npm package provides one.
 *
 * Linearizability is local: a history is linearizable exactly when the sub-history of every key
 * is, so each key is searched separately. An operation whose outcome is unknown (its client
 * timed out after the write was proposed) has no return event: it may take effect at any point
 * after its call, and its output is not checked.
 *
 * The search is exponential in the worst case, so it stops after `maxSteps` and reports
 * "inconclusive" rather than guessing.
 *
 * @module
 */

/** One completed or indeterminate operation. */
export interface HistoryOperation<Input, Output> {
  readonly input: Input;
  /** Undefined when the outcome is unknown. */
  readonly output: Output | undefined;
  readonly callMs: number;
  /** `Infinity` when the outcome is unknown. */
  readonly returnMs: number;
}

/** A sequential specification. */
export interface SequentialModel<State, Input, Output> {
  readonly initial: State;
  /** Applies `input`; `output` undefined matches any output. Returns undefined if impossible. */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** A string that is equal for equal states, for the cache. */
  key(state: State): string;
}

/** Result of a check. */
export type LinearizabilityVerdict = "linearizable" | "violation" | "inconclusive";

interface EventNode {
  readonly isCall: boolean;
  readonly operation: number;
  /** For a call: its return event. */
  match: EventNode | undefined;
  previous: EventNode | undefined;
  next: EventNode | undefined;
}

/** Checks one key's history against `model`. */
export function checkLinearizable<State, Input, Output>(
  operations: readonly HistoryOperation<Input, Output>[],
  model: SequentialModel<State, Input, Output>,
  maxSteps: number,
): LinearizabilityVerdict {
  const head = buildEventList(operations);
  const linearized = new Uint32Array(Math.ceil(operations.length / 32) + 1);
  const cache = new VisitedStates();
  const calls: { node: EventNode; state: State }[] = [];
  let state = model.initial;
  let entry = head.next;
  let steps = 0;

  while (head.next !== undefined) {
    if (++steps > maxSteps) return "inconclusive";
    if (entry === undefined) return "violation";
    if (entry.isCall) {
      const operation = operations[entry.operation]!;
      const next = model.step(state, operation.input, operation.output);
      if (next !== undefined) {
        setBit(linearized, entry.operation, true);
        if (cache.add(linearized, model.key(next))) {
          calls.push({ node: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        setBit(linearized, entry.operation, false);
      }
      entry = entry.next;
    } else {
      // A return whose call could not be linearized before it: backtrack.
      const top = calls.pop();
      if (!top) return "violation";
      state = top.state;
      setBit(linearized, top.node.operation, false);
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return "linearizable";
}

function buildEventList<Input, Output>(
  operations: readonly HistoryOperation<Input, Output>[],
): EventNode {
  const events: { node: EventNode; timeMs: number }[] = [];
  operations.forEach((operation, index) => {
    const returnNode: EventNode = {
      isCall: false,
      operation: index,
      match: undefined,
      previous: undefined,
      next: undefined,
    };
    const callNode: EventNode = { ...returnNode, isCall: true, match: returnNode };
    events.push({ node: callNode, timeMs: operation.callMs });
    events.push({ node: returnNode, timeMs: operation.returnMs });
  });
  // Calls sort before returns at the same instant, which treats those operations as concurrent:
  // the permissive reading, so ties never cause a false violation.
  events.sort((a, b) => {
    // Compared without subtraction, because Infinity - Infinity is NaN.
    if (a.timeMs !== b.timeMs) return a.timeMs < b.timeMs ? -1 : 1;
    return Number(b.node.isCall) - Number(a.node.isCall) || a.node.operation - b.node.operation;
  });
  const head: EventNode = {
    isCall: false,
    operation: -1,
    match: undefined,
    previous: undefined,
    next: undefined,
  };
  let last = head;
  for (const { node } of events) {
    last.next = node;
    node.previous = last;
    last = node;
  }
  return head;
}

/** Removes a call and its return from the list, keeping their links for `unlift`. */
function lift(call: EventNode): void {
  call.previous!.next = call.next;
  if (call.next) call.next.previous = call.previous;
  const match = call.match!;
  match.previous!.next = match.next;
  if (match.next) match.next.previous = match.previous;
}

function unlift(call: EventNode): void {
  const match = call.match!;
  match.previous!.next = match;
  if (match.next) match.next.previous = match;
  call.previous!.next = call;
  if (call.next) call.next.previous = call;
}

function setBit(bits: Uint32Array, position: number, value: boolean): void {
  const word = position >>> 5;
  const mask = 1 << (position & 31);
  bits[word] = value ? (bits[word]! | mask) : (bits[word]! & ~mask);
}

/**
 * Set of (linearized operations, model state) pairs already explored. Entries are bucketed by a
 * hash, and each bucket compares the bit sets exactly.
 */
class VisitedStates {
  readonly #buckets = new Map<number, { bits: Uint32Array; stateKey: string }[]>();

  /** Adds the pair; returns false when it was already present. */
  add(bits: Uint32Array, stateKey: string): boolean {
    let hash = 0x811c9dc5;
    for (const word of bits) hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
    for (let i = 0; i < stateKey.length; i++) {
      hash = Math.imul(hash ^ stateKey.charCodeAt(i), 0x01000193) >>> 0;
    }
    let bucket = this.#buckets.get(hash);
    if (!bucket) {
      bucket = [];
      this.#buckets.set(hash, bucket);
    }
    for (const entry of bucket) {
      if (entry.stateKey === stateKey && sameBits(entry.bits, bits)) return false;
    }
    bucket.push({ bits: bits.slice(), stateKey });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
