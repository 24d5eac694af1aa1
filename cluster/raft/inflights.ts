/**
 * The in-flight window of one follower: the last index of each append sent and not yet
 * acknowledged, in send order. The leader stops sending to a follower whose window is full, which
 * bounds the memory and bandwidth one slow follower can take.
 *
 * @module
 */

import { assert } from "../../util/assert.ts";

/** A bounded FIFO of last indexes of unacknowledged appends, increasing from oldest to newest. */
export class Inflights {
  readonly #capacity: number;
  #indexes: number[] = [];

  /** `capacity` is the maximum number of appends in flight; at least 1. */
  constructor(capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1, `invalid inflight capacity ${capacity}`);
    this.#capacity = capacity;
  }

  /** Records an append whose last entry is `index`. The window must not be full. */
  add(index: number): void {
    assert(!this.full(), "add to a full inflight window");
    const last = this.#indexes.at(-1);
    assert(last === undefined || index > last, `inflight index ${index} not after ${last}`);
    this.#indexes.push(index);
  }

  /** Frees every append whose last index is at or below `index`. */
  freeLE(index: number): void {
    let count = 0;
    while (count < this.#indexes.length && this.#indexes[count]! <= index) count++;
    if (count > 0) this.#indexes.splice(0, count);
  }

  /** Frees the oldest append, so that a stalled window can send one more probe. */
  freeFirstOne(): void {
    this.#indexes.shift();
  }

  full(): boolean {
    return this.#indexes.length >= this.#capacity;
  }

  /** Number of appends in flight. */
  get count(): number {
    return this.#indexes.length;
  }

  reset(): void {
    this.#indexes = [];
  }
}
