/**
 * A seeded pseudo-random generator (sfc32, seeded through splitmix32) for the simulator and
 * tests. The same seed gives the same sequence on every platform, which is what makes a
 * simulation replayable from its seed alone.
 *
 * @module
 */

import type { RandomSource } from "../raft.ts";
import type { Random } from "../runtime_interfaces.ts";

/** Deterministic {@linkcode Random} from a 32-bit seed. */
export class SeededRandom implements Random, RandomSource {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let state = seed >>> 0;
    const next = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Returns an unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  intBelow(bound: number): number {
    if (bound <= 1) return 0;
    return Math.floor(this.nextFloat() * bound);
  }

  /** Returns an integer in [min, max]. */
  intBetween(min: number, max: number): number {
    return min + this.intBelow(max - min + 1);
  }

  /** Returns true with probability `probability`. */
  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  /** Returns a uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty array");
    return items[this.intBelow(items.length)]!;
  }

  /** Derives an independent generator, so one component's draws do not shift another's. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}
