/**
 * Tests for KeyLocks: interleaved async critical sections on one key must run one at a time, and
 * sections on different keys must overlap.
 */

import assert from "node:assert/strict";
import { KeyLocks } from "./key_locks.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("KeyLocks serialises read-modify-write on one key", async () => {
  const locks = new KeyLocks();
  let counter = 0;
  const increment = async () => {
    const release = await locks.acquire(["k"]);
    const read = counter;
    await tick();
    counter = read + 1;
    release();
  };
  await Promise.all(Array.from({ length: 50 }, increment));
  assert.equal(counter, 50);
  assert.equal(locks.size, 0);
});

Deno.test("KeyLocks lets different keys overlap", async () => {
  const locks = new KeyLocks();
  const releaseA = await locks.acquire(["a"]);
  const acquiredB = await Promise.race([
    locks.acquire(["b"]).then(() => "acquired"),
    tick().then(() => "blocked"),
  ]);
  assert.equal(acquiredB, "acquired");
  releaseA();
});

Deno.test("KeyLocks multi-key acquisition avoids deadlock", async () => {
  const locks = new KeyLocks();
  let completed = 0;
  const work = async (keys: string[]) => {
    const release = await locks.acquire(keys);
    await tick();
    completed++;
    release();
  };
  await Promise.all([work(["x", "y"]), work(["y", "x"]), work(["x"]), work(["y"])]);
  assert.equal(completed, 4);
  assert.equal(locks.size, 0);
});
