/**
 * The key-value state machine the simulated clients use: puts, conditional puts
 * (compare-and-set) and increments of integer values, applied in log order, plus the model that
 * the linearizability checker replays.
 *
 * Commands travel as JSON in entry data. The machine stores the result of every applied
 * command by operation id, so the simulator can tell whether an operation whose client timed
 * out took effect. It also keeps a rolling hash of everything applied, so that replicas and
 * snapshots can be compared cheaply.
 *
 * @module
 */

import type { StateMachine } from "../runtime_interfaces.ts";
import type { Entry } from "../types.ts";

/** A client operation on one key. */
export type KvInput =
  | { readonly kind: "get"; readonly key: string }
  | { readonly kind: "put"; readonly key: string; readonly value: number }
  | {
    readonly kind: "cas";
    readonly key: string;
    readonly expected: number | null;
    readonly value: number;
  }
  | { readonly kind: "incr"; readonly key: string; readonly delta: number };

/** Result of an operation: the value read or written, or whether a compare-and-set applied. */
export type KvOutput = number | null | boolean;

/** A write command as stored in the log. */
export interface KvCommand {
  readonly opId: number;
  readonly input: KvInput;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

/**
 * Applies `input` to a key holding `value` (null: absent). Returns the output and the new value.
 * This is both the state machine's logic and the sequential model of the checker.
 */
export function applyKvInput(
  value: number | null,
  input: KvInput,
): { output: KvOutput; next: number | null } {
  switch (input.kind) {
    case "get":
      return { output: value, next: value };
    case "put":
      return { output: input.value, next: input.value };
    case "cas": {
      const matches = value === input.expected;
      return { output: matches, next: matches ? input.value : value };
    }
    case "incr": {
      const next = (value ?? 0) + input.delta;
      return { output: next, next };
    }
  }
}

/** Key-value state of one group replica. */
export class KvStateMachine implements StateMachine {
  data = new Map<string, number>();
  /** Output of every applied command, by operation id. */
  results = new Map<number, KvOutput>();
  /** Index of the last applied command entry. */
  lastAppliedIndex = 0;
  /** FNV-1a over the indexes and data of all applied commands. */
  appliedHash = 0x811c9dc5;

  apply(entry: Entry): void {
    const command = decodeCommand(entry.data);
    const { output, next } = applyKvInput(this.data.get(command.input.key) ?? null, command.input);
    if (next === null) this.data.delete(command.input.key);
    else this.data.set(command.input.key, next);
    this.results.set(command.opId, output);
    this.lastAppliedIndex = entry.index;
    this.appliedHash = hashBytes(hashNumber(this.appliedHash, entry.index), entry.data);
  }

  read(key: string): number | null {
    return this.data.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({
      data: [...this.data],
      results: [...this.results],
      lastAppliedIndex: this.lastAppliedIndex,
      appliedHash: this.appliedHash,
    }));
  }

  restore(data: Uint8Array): void {
    const image = JSON.parse(decoder.decode(data));
    this.data = new Map(image.data);
    this.results = new Map(image.results);
    this.lastAppliedIndex = image.lastAppliedIndex;
    this.appliedHash = image.appliedHash;
  }
}

function hashNumber(hash: number, value: number): number {
  let result = hash;
  for (let shift = 0; shift < 48; shift += 8) {
    result = Math.imul(result ^ (Math.floor(value / 2 ** shift) & 0xff), 0x01000193) >>> 0;
  }
  return result;
}

function hashBytes(hash: number, bytes: Uint8Array): number {
  let result = hash;
  for (const byte of bytes) result = Math.imul(result ^ byte, 0x01000193) >>> 0;
  return result;
}
