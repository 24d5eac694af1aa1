/**
 * Tests of the linearizability checker on small hand-written key-value histories whose verdict
 * is known, including operations with unknown outcomes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { applyKvInput, type KvInput, type KvOutput } from "./kv_state_machine.ts";
import { checkLinearizable, type HistoryOperation } from "./linearizability.ts";

const model = {
  initial: null as number | null,
  step(state: number | null, input: KvInput, output: KvOutput | undefined) {
    const result = applyKvInput(state, input);
    return output !== undefined && result.output !== output ? undefined : result.next;
  },
  key: (state: number | null) => String(state),
};

type Operation = HistoryOperation<KvInput, KvOutput>;

function op(input: KvInput, output: KvOutput | undefined, callMs: number, returnMs: number) {
  return { input, output, callMs, returnMs } satisfies Operation;
}

const put = (value: number): KvInput => ({ kind: "put", key: "k", value });
const get: KvInput = { kind: "get", key: "k" };
const incr: KvInput = { kind: "incr", key: "k", delta: 1 };
const cas = (expected: number | null, value: number): KvInput => ({
  kind: "cas",
  key: "k",
  expected,
  value,
});

function verdict(operations: Operation[]) {
  return checkLinearizable(operations, model, 100_000);
}

Deno.test("linearizability: sequential history that follows the model", () => {
  assert.equal(
    verdict([op(put(1), 1, 0, 1), op(get, 1, 2, 3), op(incr, 2, 4, 5), op(cas(2, 7), true, 6, 7)]),
    "linearizable",
  );
});

Deno.test("linearizability: stale read after a completed write", () => {
  assert.equal(verdict([op(put(1), 1, 0, 1), op(get, null, 2, 3)]), "violation");
});

Deno.test("linearizability: concurrent read may see either value", () => {
  assert.equal(verdict([op(put(1), 1, 0, 10), op(get, null, 2, 3)]), "linearizable");
  assert.equal(verdict([op(put(1), 1, 0, 10), op(get, 1, 2, 3)]), "linearizable");
});

Deno.test("linearizability: reads may not go back in time", () => {
  assert.equal(
    verdict([op(put(1), 1, 0, 10), op(get, 1, 1, 2), op(get, null, 3, 4)]),
    "violation",
  );
});

Deno.test("linearizability: two increments cannot both return the same value", () => {
  assert.equal(verdict([op(incr, 1, 0, 5), op(incr, 1, 1, 6)]), "violation");
  assert.equal(verdict([op(incr, 2, 0, 5), op(incr, 1, 1, 6)]), "linearizable");
});

Deno.test("linearizability: only one of two racing compare-and-sets succeeds", () => {
  assert.equal(verdict([op(cas(null, 1), true, 0, 5), op(cas(null, 2), true, 1, 6)]), "violation");
  assert.equal(
    verdict([op(cas(null, 1), true, 0, 5), op(cas(null, 2), false, 1, 6)]),
    "linearizable",
  );
});

Deno.test("linearizability: an unknown write may take effect late or explain a read", () => {
  const unknownPut = op(put(5), undefined, 0, Infinity);
  assert.equal(verdict([unknownPut, op(get, null, 1, 2), op(get, 5, 3, 4)]), "linearizable");
  // Once seen, the unknown write cannot be unseen.
  assert.equal(verdict([unknownPut, op(get, 5, 1, 2), op(get, null, 3, 4)]), "violation");
});

Deno.test("linearizability: a search over its step limit is inconclusive", () => {
  const operations = Array.from({ length: 12 }, (_, i) => op(incr, undefined, i, Infinity));
  operations.push(op(get, 999, 100, 101));
  assert.equal(checkLinearizable(operations, model, 50), "inconclusive");
});
