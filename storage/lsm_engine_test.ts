/**
 * Tests of the engine through the {@linkcode StorageEngine} interface: unit cases, a fast-check
 * model test against a `Map` with reopen and simulated crashes, a crash with writes in flight,
 * and failure behaviour (fsync failure poisons, a full disk does not).
 *
 * Every test runs on the simulated file system, so a crash drops exactly the unsynced bytes.
 * Set STRATA_SEED to replay a fast-check run; the seed is printed on failure.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareKeys,
  type Entry,
  type Snapshot,
  StorageError,
  type WriteOperation,
} from "./engine.ts";
import { LsmEngine } from "./lsm_engine.ts";
import { SimulatedFileSystem } from "./testing/simulated_file_system.ts";

const DIRECTORY = "/data/storage";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (value: string) => encoder.encode(value);

function openOn(fileSystem: SimulatedFileSystem): Promise<LsmEngine> {
  return LsmEngine.open({ directory: DIRECTORY, fileSystem, statsLogIntervalMs: 0 });
}

/** Opens an engine whose tiny memtables flush and compact every few writes. */
function openSmall(fileSystem: SimulatedFileSystem): Promise<LsmEngine> {
  return LsmEngine.open({
    directory: DIRECTORY,
    fileSystem,
    statsLogIntervalMs: 0,
    memtableSizeBytes: 2048,
    compaction: { minThreshold: 3 },
  });
}

async function collect(iterator: AsyncIterableIterator<Entry>): Promise<string[]> {
  const result: string[] = [];
  for await (const entry of iterator) {
    result.push(`${decoder.decode(entry.key)}=${decoder.decode(entry.value)}`);
  }
  return result;
}

Deno.test("engine reads its own writes", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.write([{ kind: "put", key: text("a"), value: text("1") }]);
  await engine.write([{ kind: "put", key: text("a"), value: text("2") }]);
  assert.deepEqual(await engine.get(text("a")), text("2"));
  await engine.write([{ kind: "delete", key: text("a") }]);
  assert.equal(await engine.get(text("a")), undefined);
  assert.equal(await engine.get(text("missing")), undefined);
  await engine.close();
});

Deno.test("engine scans half-open ranges both ways", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.write(
    ["a", "b", "c", "d"].map((key) => ({ kind: "put", key: text(key), value: text(key) })),
  );
  await engine.write([{ kind: "delete", key: text("c") }]);
  assert.deepEqual(await collect(engine.scan()), ["a=a", "b=b", "d=d"]);
  assert.deepEqual(await collect(engine.scan({ start: text("b"), end: text("d") })), ["b=b"]);
  assert.deepEqual(await collect(engine.scan({ reverse: true })), ["d=d", "b=b", "a=a"]);
  assert.deepEqual(
    await collect(engine.scan({ start: text("a"), end: text("d"), reverse: true })),
    ["b=b", "a=a"],
  );
  await engine.close();
});

Deno.test("engine snapshot hides later writes", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.write([{ kind: "put", key: text("a"), value: text("old") }]);
  const snapshot = engine.snapshot();
  await engine.write([
    { kind: "put", key: text("a"), value: text("new") },
    { kind: "put", key: text("b"), value: text("new") },
  ]);
  assert.deepEqual(await engine.get(text("a"), snapshot), text("old"));
  assert.deepEqual(await collect(engine.scan({ snapshot })), ["a=old"]);
  assert.deepEqual(await collect(engine.scan({ snapshot, reverse: true })), ["a=old"]);
  snapshot.release();
  await assert.rejects(() => engine.get(text("a"), snapshot), /already released/);
  await engine.close();
});

Deno.test("engine scan ignores batches committed mid-scan", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.write([{ kind: "put", key: text("a"), value: text("1") }]);
  await engine.write([{ kind: "put", key: text("c"), value: text("1") }]);
  const seen: string[] = [];
  for await (const entry of engine.scan()) {
    seen.push(decoder.decode(entry.key));
    if (seen.length === 1) {
      await engine.write([
        { kind: "put", key: text("b"), value: text("2") },
        { kind: "put", key: text("c"), value: text("2") },
      ]);
    }
  }
  assert.deepEqual(seen, ["a", "c"]);
  assert.deepEqual(await engine.get(text("c")), text("2"));
  await engine.close();
});

Deno.test("engine copies values it returns and receives", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  const value = text("abc");
  await engine.write([{ kind: "put", key: text("k"), value }]);
  value[0] = 0;
  const read = await engine.get(text("k"));
  assert.deepEqual(read, text("abc"));
  read![1] = 0;
  assert.deepEqual(await engine.get(text("k")), text("abc"));
  await engine.close();
});

Deno.test("engine getView returns what get returns", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.write([{ kind: "put", key: text("k"), value: text("abc") }]);
  const snapshot = engine.snapshot();
  await engine.write([{ kind: "put", key: text("k"), value: text("new") }]);
  await engine.write([{ kind: "delete", key: text("gone") }]);
  assert.deepEqual(await engine.getView(text("k")), text("new"));
  assert.deepEqual(await engine.getView(text("k"), snapshot), text("abc"));
  assert.equal(await engine.getView(text("gone")), undefined);
  assert.equal(await engine.getView(text("never")), undefined);
  snapshot.release();
  await engine.close();
});

Deno.test("engine rejects oversized keys", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await assert.rejects(
    () => engine.write([{ kind: "put", key: new Uint8Array(16 * 1024 + 1), value: text("v") }]),
    (error: unknown) => error instanceof StorageError && error.kind === "invalid-argument",
  );
  await engine.close();
});

Deno.test("engine shares one fsync among concurrent writes", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openOn(fileSystem);
  const syncsBefore = fileSystem.syncCount;
  await Promise.all(
    Array.from(
      { length: 50 },
      (_, index) => engine.write([{ kind: "put", key: text(`k${index}`), value: text("v") }]),
    ),
  );
  assert.equal(fileSystem.syncCount - syncsBefore, 1);
  assert.equal(engine.stats().writeBatches, 50);
  assert.equal(engine.stats().writeGroups, 1);
  await engine.close();
});

Deno.test("engine recovers acknowledged writes after reopen", async () => {
  const fileSystem = new SimulatedFileSystem();
  let engine = await openOn(fileSystem);
  await engine.write([{ kind: "put", key: text("a"), value: text("1") }]);
  await engine.write([{ kind: "delete", key: text("a") }, {
    kind: "put",
    key: text("b"),
    value: text("2"),
  }]);
  await engine.close();
  engine = await openOn(fileSystem);
  assert.equal(await engine.get(text("a")), undefined);
  assert.deepEqual(await engine.get(text("b")), text("2"));
  await engine.write([{ kind: "put", key: text("c"), value: text("3") }]);
  await engine.close();
  engine = await openOn(fileSystem);
  assert.deepEqual(await collect(engine.scan()), ["b=2", "c=3"]);
  await engine.close();
});

Deno.test("engine rejects all writes after an fsync failure", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openOn(fileSystem);
  await engine.write([{ kind: "put", key: text("a"), value: text("1") }]);
  fileSystem.failSyncs(/\.log$/);
  await assert.rejects(
    () => engine.write([{ kind: "put", key: text("b"), value: text("2") }]),
    (error: unknown) => error instanceof StorageError && error.kind === "poisoned",
  );
  fileSystem.failSyncs(undefined);
  const syncsBefore = fileSystem.syncCount;
  await assert.rejects(
    () => engine.write([{ kind: "put", key: text("c"), value: text("3") }]),
    (error: unknown) => error instanceof StorageError && error.kind === "poisoned",
  );
  assert.equal(fileSystem.syncCount, syncsBefore, "a poisoned engine must not retry fsync");
  assert.deepEqual(await engine.get(text("a")), text("1"));
  assert.equal(await engine.get(text("b")), undefined);
  assert.equal(engine.stats().poisoned, 1);
  await engine.close();
});

Deno.test("engine survives a full disk and writes again after space frees", async () => {
  const fileSystem = new SimulatedFileSystem();
  const engine = await openOn(fileSystem);
  await engine.write([{ kind: "put", key: text("a"), value: text("1") }]);
  fileSystem.capacityBytes = fileSystem.usedBytes() + 10;
  await assert.rejects(
    () => engine.write([{ kind: "put", key: text("b"), value: new Uint8Array(100) }]),
    (error: unknown) => error instanceof StorageError && error.kind === "no-space",
  );
  assert.equal(await engine.get(text("b")), undefined);
  fileSystem.capacityBytes = undefined;
  await engine.write([{ kind: "put", key: text("c"), value: text("3") }]);
  await engine.close();

  const reopened = await openOn(fileSystem);
  assert.deepEqual(await collect(reopened.scan()), ["a=1", "c=3"]);
  await reopened.close();
});

Deno.test("engine fails calls after close", async () => {
  const engine = await openOn(new SimulatedFileSystem());
  await engine.close();
  await assert.rejects(
    () => engine.write([{ kind: "put", key: text("a"), value: text("1") }]),
    (error: unknown) => error instanceof StorageError && error.kind === "closed",
  );
  await assert.rejects(() => engine.get(text("a")), /closed/);
});

Deno.test("engine keeps acknowledged writes across a crash mid-write", async () => {
  const seed = Number(Deno.env.get("STRATA_SEED") ?? 1);
  for (let round = 0; round < 40; round++) {
    const random = mulberry32(seed * 1000 + round);
    let fileSystem = new SimulatedFileSystem();
    const engine = await openSmall(fileSystem);
    const acknowledged = new Map<string, string>();
    const writes: Promise<void>[] = [];
    const crashAfter = 1 + Math.floor(random() * 150);
    for (let batch = 0; batch < 200; batch++) {
      const operations: WriteOperation[] = [0, 1, 2].map((part) => ({
        kind: "put",
        key: text(`b${batch}-${part}`),
        value: text(`v${batch}`.padEnd(40, "-")),
      }));
      const acknowledge = () => {
        for (const operation of operations) {
          acknowledged.set(decoder.decode(operation.key), `v${batch}`.padEnd(40, "-"));
        }
      };
      writes.push(engine.write(operations).then(acknowledge, () => {}));
      if (batch % 10 === 9) await writes[writes.length - 1];
      if (batch === crashAfter) {
        await writes[Math.floor(random() * writes.length)];
        fileSystem = fileSystem.crash(random);
      }
    }
    await Promise.all(writes);
    await engine.close().catch(() => {});

    const recovered = await openSmall(fileSystem);
    const present = new Map<string, string>();
    for await (const entry of recovered.scan()) {
      present.set(decoder.decode(entry.key), decoder.decode(entry.value));
    }
    for (const [key, value] of acknowledged) {
      assert.equal(present.get(key), value, `seed ${seed} round ${round}: lost ${key}`);
    }
    for (let batch = 0; batch < 200; batch++) {
      const parts = [0, 1, 2].filter((part) => present.has(`b${batch}-${part}`)).length;
      assert.ok(
        parts === 0 || parts === 3,
        `seed ${seed} round ${round}: batch ${batch} is partial`,
      );
    }
    await recovered.close();
  }
});

/** Small seeded generator for crash timing and tearing. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ModelCommand =
  | { type: "write"; operations: WriteOperation[] }
  | { type: "get"; key: Uint8Array }
  | { type: "scan"; start?: Uint8Array; end?: Uint8Array; reverse: boolean }
  | { type: "reopen" }
  | { type: "crash"; tearSeed: number }
  | { type: "settle" }
  | { type: "takeSnapshot" }
  | { type: "checkSnapshot"; reverse: boolean };

const keyArbitrary = fc.uint8Array({ minLength: 1, maxLength: 3, max: 3 });
const operationArbitrary: fc.Arbitrary<WriteOperation> = fc.oneof(
  fc.record({
    kind: fc.constant("put" as const),
    key: keyArbitrary,
    value: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), key: keyArbitrary }),
);
const commandArbitrary: fc.Arbitrary<ModelCommand> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("write" as const),
      operations: fc.array(operationArbitrary, { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("get" as const), key: keyArbitrary }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("scan" as const),
      start: fc.option(keyArbitrary, { nil: undefined }),
      end: fc.option(keyArbitrary, { nil: undefined }),
      reverse: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "reopen" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("crash" as const), tearSeed: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "settle" as const }) },
  { weight: 1, arbitrary: fc.constant({ type: "takeSnapshot" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("checkSnapshot" as const), reverse: fc.boolean() }),
  },
);

function modelScan(model: Map<string, Uint8Array>, command: ModelCommand & { type: "scan" }) {
  const entries = [...model.entries()]
    .map(([key, value]) => ({
      key: Uint8Array.from(key.split(",").filter((s) => s !== "").map(Number)),
      value,
    }))
    .filter((entry) => !command.start || compareKeys(entry.key, command.start) >= 0)
    .filter((entry) => !command.end || compareKeys(entry.key, command.end) < 0)
    .sort((a, b) => compareKeys(a.key, b.key));
  return command.reverse ? entries.reverse() : entries;
}

Deno.test("engine matches a Map model with reopen and crash", async () => {
  const seedText = Deno.env.get("STRATA_SEED");
  const backgroundTotals = { flushes: 0, compactions: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.array(commandArbitrary, { minLength: 20, maxLength: 80 }),
      async (commands) => {
        const state = {
          fileSystem: new SimulatedFileSystem(),
          engine: undefined as unknown as LsmEngine,
        };
        state.engine = await openSmall(state.fileSystem);
        const model = new Map<string, Uint8Array>();
        try {
          for (const command of commands) {
            await applyCommand(state, model, command);
            backgroundTotals.flushes += state.engine.stats().flushes ?? 0;
            backgroundTotals.compactions += state.engine.stats().compactions ?? 0;
          }
        } finally {
          await state.engine.close().catch(() => {});
        }
      },
    ),
    { numRuns: 200, seed: seedText === undefined ? undefined : Number(seedText) },
  );
  assert.ok(backgroundTotals.flushes > 0, "the model runs never flushed a memtable");
  assert.ok(backgroundTotals.compactions > 0, "the model runs never compacted");
});

/** What the model test carries between commands. */
interface ModelState {
  engine: LsmEngine;
  fileSystem: SimulatedFileSystem;
  /** A snapshot taken by "takeSnapshot" and a copy of the model at that moment. */
  saved?: { snapshot: Snapshot; model: Map<string, Uint8Array> };
}

async function applyCommand(
  state: ModelState,
  model: Map<string, Uint8Array>,
  command: ModelCommand,
): Promise<void> {
  const engine = state.engine;
  switch (command.type) {
    case "write":
      await engine.write(command.operations);
      for (const operation of command.operations) {
        if (operation.kind === "put") model.set(operation.key.join(","), operation.value);
        else model.delete(operation.key.join(","));
      }
      return;
    case "get":
      assert.deepEqual(await engine.get(command.key), model.get(command.key.join(",")));
      return;
    case "scan": {
      const actual: Entry[] = [];
      for await (const entry of engine.scan(command)) actual.push(entry);
      assert.deepEqual(actual, modelScan(model, command));
      return;
    }
    case "takeSnapshot":
      state.saved?.snapshot.release();
      state.saved = { snapshot: engine.snapshot(), model: new Map(model) };
      return;
    case "checkSnapshot": {
      if (!state.saved) return;
      const { snapshot, model: savedModel } = state.saved;
      const scanCommand = { type: "scan" as const, reverse: command.reverse };
      const actual: Entry[] = [];
      for await (const entry of engine.scan({ snapshot, reverse: command.reverse })) {
        actual.push(entry);
      }
      assert.deepEqual(actual, modelScan(savedModel, scanCommand));
      for (const [key, value] of savedModel) {
        const userKey = Uint8Array.from(key.split(",").map(Number));
        assert.deepEqual(await engine.get(userKey, snapshot), value);
      }
      return;
    }
    case "settle": {
      await engine.waitForBackgroundWork();
      const stats = engine.stats();
      assert.equal(stats.poisoned, 0);
      // Once background work is done, the space rule's limit holds: others <= 100% of largest.
      const otherTableBytes = stats.tableBytes! - stats.largestTableBytes!;
      assert.ok(
        otherTableBytes <= stats.largestTableBytes!,
        `tables other than the largest hold ${otherTableBytes} bytes`,
      );
      return;
    }
    case "reopen":
      state.saved = undefined;
      await engine.close();
      state.engine = await openSmall(state.fileSystem);
      return;
    case "crash":
      state.saved = undefined;
      state.fileSystem = state.fileSystem.crash(mulberry32(command.tearSeed));
      await engine.close().catch(() => {});
      state.engine = await openSmall(state.fileSystem);
      return;
  }
}
