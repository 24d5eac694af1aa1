/**
 * Tests of the CBOR peer format: golden bytes for the worked example in `cluster/FORMAT.md`,
 * round trips, and rejection of malformed input.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  decodeEntry,
  decodeHardState,
  decodePeerBatch,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodePeerBatch,
  encodeSnapshot,
  RaftCodecError,
} from "./message_codec.ts";
import { decodeConfChange, encodeConfChange } from "./conf_change.ts";
import type { PeerBatch } from "./runtime_interfaces.ts";
import { makeMessage, MessageType } from "./types.ts";

const exampleBatch: PeerBatch = {
  from: 1,
  to: 2,
  messages: [{
    groupId: 7,
    message: makeMessage({
      type: MessageType.AppendEntries,
      to: 2,
      from: 1,
      term: 3,
      logTerm: 2,
      index: 5,
      commit: 4,
      entries: [{ index: 6, term: 3, type: 0, data: new TextEncoder().encode("hi") }],
    }),
  }],
  heartbeats: [{ groupId: 7, term: 3, commit: 4, context: 1 }],
  heartbeatResponses: [],
};

const exampleHex = "86010102818d0701020103020504f400008184060300426869f681840703040180";

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
}

Deno.test("encodePeerBatch matches the documented example bytes", () => {
  assert.equal(toHex(encodePeerBatch(exampleBatch)), exampleHex);
});

Deno.test("decodePeerBatch reads the documented example bytes", () => {
  const batch = decodePeerBatch(fromHex(exampleHex));
  assert.equal(batch.from, 1);
  assert.equal(batch.to, 2);
  const { groupId, message } = batch.messages[0]!;
  assert.equal(groupId, 7);
  assert.equal(message.type, MessageType.AppendEntries);
  assert.equal(message.snapshot, undefined);
  assert.deepEqual(message.entries[0]!.data, new TextEncoder().encode("hi"));
  assert.deepEqual(batch.heartbeats, exampleBatch.heartbeats);
});

Deno.test("peer batch round trip keeps snapshots and large indexes", () => {
  const large = 2 ** 40 + 3;
  const batch: PeerBatch = {
    from: 3,
    to: 1,
    messages: [{
      groupId: 1,
      message: makeMessage({
        type: MessageType.InstallSnapshot,
        to: 1,
        from: 3,
        term: large,
        reject: true,
        snapshot: {
          metadata: { index: large, term: 9, confState: { voters: [1, 3], learners: [4] } },
          data: new Uint8Array([1, 2, 3]),
        },
      }),
    }],
    heartbeats: [],
    heartbeatResponses: [{ groupId: 2, term: 5, commit: 0, context: 9 }],
  };
  const decoded = decodePeerBatch(encodePeerBatch(batch));
  assert.deepEqual(decoded.messages[0]!.message, batch.messages[0]!.message);
  assert.deepEqual(decoded.heartbeatResponses, batch.heartbeatResponses);
});

Deno.test("persisted records round trip", () => {
  const hardState = { term: 4, vote: 2, commit: 17 };
  assert.deepEqual(decodeHardState(encodeHardState(hardState)), hardState);
  assert.equal(toHex(encodeHardState(hardState)), "83040211");
  const entry = { index: 5, term: 2, type: 1 as const, data: new Uint8Array([9]) };
  assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
  const snapshot = {
    metadata: { index: 5, term: 2, confState: { voters: [1], learners: [] } },
    data: new Uint8Array([7, 7]),
  };
  assert.deepEqual(decodeSnapshot(encodeSnapshot(snapshot)), snapshot);
});

Deno.test("conf change entry data is a two-element array", () => {
  const data = encodeConfChange({ type: 2, nodeId: 5 });
  assert.equal(toHex(data), "820205");
  assert.deepEqual(decodeConfChange(data), { type: 2, nodeId: 5 });
  assert.throws(() => decodeConfChange(fromHex("820905")), /unknown conf change type/);
});

Deno.test("decodePeerBatch rejects malformed input", () => {
  const cases: [string, RegExp][] = [
    ["ff", /invalid CBOR|not an array/],
    ["83010102", /array of 6/],
    ["86020102808080", /version 2/],
    ["8601010281" + "8d07186302010302050400f40080f6" + "8080", /message type 99/],
    ["860101028180" + "81" + "8407200401" + "80", /not an array|heartbeat/],
    ["86012002808080", /batch from/],
  ];
  for (const [hex, message] of cases) {
    assert.throws(() => decodePeerBatch(fromHex(hex)), (error: unknown) => {
      assert.ok(error instanceof RaftCodecError, `${hex}: ${String(error)}`);
      assert.match(error.message, message, hex);
      return true;
    });
  }
});
