/**
 * Storage engine benchmark: `deno task bench storage [options]`. Runs the LevelDB `db_bench`
 * style workloads on Strata's engine and, in the same invocation, on LevelDB through the npm
 * package `classic-level`, and prints one table per value size.
 *
 * Workloads, each on N keys of 16 bytes (zero-padded decimal):
 * - fillseq: N puts in key order into an empty database.
 * - fillrandom: N puts in a random permutation into an empty database.
 * - overwrite: N puts of random existing keys into the fillrandom database.
 * - readrandom: R gets of random existing keys.
 * - readmissing: R gets of keys that sort among the existing ones but are absent.
 * - scan: R / 100 range scans of 100 entries from random start keys (reported in entries/s).
 *
 * Both engines get the same request stream with {@linkcode IN_FLIGHT_OPERATIONS} operations in
 * flight, one put per batch, and neither syncs per write: LevelDB's default `sync: false`, and
 * Strata's `batch` WAL mode (fsync every 100 ms).
 *
 * Write amplification is the bytes the process passed to `write(2)` during fillrandom and
 * overwrite (`wchar` in `/proc/self/io`) divided by the user bytes put. Strata's count includes
 * the compactions those writes caused, because the benchmark waits for them; LevelDB may still
 * be compacting, so its figure is a lower bound. Space amplification is the database directory's
 * size after the overwrite divided by N × (key + value) bytes.
 *
 * Each engine and value size runs in its own child process, so the peak RSS reported is that
 * run's alone. Intended for a quiet machine.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { openEngine } from "../storage/mod.ts";
import type { Engine } from "../storage/mod.ts";

/** Operations each workload keeps in flight. */
export const IN_FLIGHT_OPERATIONS = 64;
const KEY_BYTES = 16;
const SCAN_LENGTH = 100;

/** Operations a workload needs from an engine under test. */
interface BenchTarget {
  name: string;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Reads up to `limit` entries from `start`; returns the count. */
  scan(start: Uint8Array, limit: number): Promise<number>;
  /** Waits for flushes and compactions to finish; LevelDB offers no such wait. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

interface BenchResult {
  opsPerSecond: Record<string, number>;
  writeAmplification: number;
  spaceAmplification: number;
  /** Peak resident set size of the process that ran only this engine and value size. */
  peakRssBytes: number;
}

function keyOf(index: number): Uint8Array {
  return decimalKey(index * 2);
}

/** Returns a key between two existing keys, because existing keys are even numbers. */
function missingKeyOf(index: number): Uint8Array {
  return decimalKey(index * 2 + 1);
}

/**
 * Returns `value` in decimal, zero-padded to {@linkcode KEY_BYTES} ASCII digits. Built by hand
 * rather than with TextEncoder, whose call costs as much as a cached engine lookup, so the
 * benchmark times the engines more than its own key making.
 */
function decimalKey(value: number): Uint8Array {
  const key = new Uint8Array(KEY_BYTES).fill(0x30);
  for (let position = KEY_BYTES - 1; value > 0; position--) {
    key[position] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return key;
}

/** Deterministic generator, so both engines see the same stream. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(count: number, random: () => number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** Runs `count` operations with a bounded number in flight; returns operations per second. */
async function timed(count: number, operation: (index: number) => Promise<unknown>) {
  const startMs = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT_OPERATIONS }, worker));
  return count / ((performance.now() - startMs) / 1000);
}

/** Returns the process's peak resident set size (`VmHWM` in `/proc/self/status`). */
function peakRssBytes(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return match ? Number(match[1]) * 1024 : Deno.memoryUsage().rss;
}

function bytesWrittenByProcess(): number {
  const text = Deno.readTextFileSync("/proc/self/io");
  const match = /^wchar: (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Returns the bytes of the files under `path`. A file removed between listing and stat counts as
 * empty: LevelDB may still be compacting and deleting files when the benchmark measures.
 */
async function directoryBytes(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) {
      total += await directoryBytes(child);
      continue;
    }
    try {
      total += (await Deno.stat(child)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return total;
}

function strataTarget(engine: Engine): BenchTarget {
  return {
    name: "strata",
    put: (key, value) => engine.write([{ kind: "put", key, value }]),
    get: (key) => engine.get(key),
    async scan(start, limit) {
      let count = 0;
      for await (const _ of engine.scan({ start })) {
        if (++count >= limit) break;
      }
      return count;
    },
    settle: () => engine.waitForBackgroundWork(),
    close: () => engine.close(),
  };
}

async function openStrata(directory: string): Promise<BenchTarget> {
  const engine = await openEngine({
    directory,
    walSync: { mode: "batch", intervalMs: 100 },
    statsLogIntervalMs: 0,
  });
  return strataTarget(engine);
}

async function openLevelDb(directory: string): Promise<BenchTarget> {
  const { ClassicLevel } = await import("classic-level");
  const database = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
    keyEncoding: "view",
    valueEncoding: "view",
  });
  await database.open();
  return {
    name: "leveldb",
    put: (key, value) => database.put(key, value),
    get: (key) => database.get(key),
    async scan(start, limit) {
      const iterator = database.iterator({ gte: start, limit });
      try {
        return (await iterator.nextv(limit)).length;
      } finally {
        await iterator.close();
      }
    },
    settle: () => Promise.resolve(),
    close: () => database.close(),
  };
}

/** Values are slices of one random buffer, so no engine gains from compression. */
function valueSource(valueBytes: number): (index: number) => Uint8Array {
  const pool = new Uint8Array(1024 * 1024 + valueBytes);
  crypto.getRandomValues(pool.subarray(0, 65536));
  for (let offset = 65536; offset < pool.length; offset += 65536) {
    pool.copyWithin(offset, 0, Math.min(65536, pool.length - offset));
  }
  return (index) => {
    const offset = (index * 7919) % (pool.length - valueBytes);
    return pool.subarray(offset, offset + valueBytes);
  };
}

interface WorkloadSettings {
  keyCount: number;
  readCount: number;
  valueBytes: number;
}

async function runWorkloads(
  open: (directory: string) => Promise<BenchTarget>,
  settings: WorkloadSettings,
  baseDirectory: string,
): Promise<BenchResult> {
  const { keyCount, readCount } = settings;
  const valueOf = valueSource(settings.valueBytes);
  const opsPerSecond: Record<string, number> = {};

  const sequentialDirectory = await Deno.makeTempDir({ dir: baseDirectory });
  let target = await open(sequentialDirectory);
  opsPerSecond.fillseq = await timed(keyCount, (i) => target.put(keyOf(i), valueOf(i)));
  await target.close();
  await Deno.remove(sequentialDirectory, { recursive: true });

  const directory = await Deno.makeTempDir({ dir: baseDirectory });
  target = await open(directory);
  const random = seededRandom(settings.valueBytes);
  const order = permutation(keyCount, random);
  const writtenBefore = bytesWrittenByProcess();
  opsPerSecond.fillrandom = await timed(keyCount, (i) => target.put(keyOf(order[i]!), valueOf(i)));
  const overwriteKeys = Uint32Array.from({ length: keyCount }, () => random() * keyCount);
  opsPerSecond.overwrite = await timed(
    keyCount,
    (i) => target.put(keyOf(overwriteKeys[i]!), valueOf(i + 1)),
  );
  await target.settle();
  const userBytes = 2 * keyCount * (KEY_BYTES + settings.valueBytes);
  const writeAmplification = (bytesWrittenByProcess() - writtenBefore) / userBytes;
  const liveBytes = keyCount * (KEY_BYTES + settings.valueBytes);
  const spaceAmplification = (await directoryBytes(directory)) / liveBytes;

  const readKeys = Uint32Array.from({ length: readCount }, () => random() * keyCount);
  opsPerSecond.readrandom = await timed(readCount, async (i) => {
    if ((await target.get(keyOf(readKeys[i]!))) === undefined) {
      throw new Error(`${target.name}: key ${readKeys[i]! * 2} not found after fillrandom`);
    }
  });
  opsPerSecond.readmissing = await timed(readCount, async (i) => {
    if ((await target.get(missingKeyOf(readKeys[i]!))) !== undefined) {
      throw new Error(`${target.name}: absent key ${readKeys[i]! * 2 + 1} returned a value`);
    }
  });
  const scanCount = Math.max(1, Math.floor(readCount / SCAN_LENGTH));
  opsPerSecond.scan = SCAN_LENGTH * await timed(scanCount, async (i) => {
    await target.scan(keyOf(readKeys[i]!), SCAN_LENGTH);
  });
  await target.close();
  await Deno.remove(directory, { recursive: true });
  return { opsPerSecond, writeAmplification, spaceAmplification, peakRssBytes: peakRssBytes() };
}

const WORKLOADS = ["fillseq", "fillrandom", "overwrite", "readrandom", "readmissing", "scan"];

function formatTable(valueBytes: number, results: Map<string, BenchResult>): string {
  const names = [...results.keys()];
  const lines = [
    `### ${valueBytes}-byte values`,
    "",
    `| workload | ${names.map((name) => `${name} ops/s`).join(" | ")} |`,
    `| --- | ${names.map(() => "---:").join(" | ")} |`,
  ];
  for (const workload of WORKLOADS) {
    const cells = names.map((name) =>
      Math.round(results.get(name)!.opsPerSecond[workload] ?? 0).toLocaleString("en-US")
    );
    lines.push(
      `| ${workload}${workload === "scan" ? " (entries/s)" : ""} | ${cells.join(" | ")} |`,
    );
  }
  const row = (label: string, pick: (result: BenchResult) => string) =>
    `| ${label} | ${names.map((name) => pick(results.get(name)!)).join(" | ")} |`;
  lines.push(row("write amplification", (result) => result.writeAmplification.toFixed(2)));
  lines.push(row("space amplification", (result) => result.spaceAmplification.toFixed(2)));
  lines.push(row("peak RSS (MiB)", (result) => (result.peakRssBytes / 2 ** 20).toFixed(0)));
  return lines.join("\n");
}

const USAGE = `usage: deno task bench storage [--keys N] [--reads N] [--value-bytes 100,1024]
  [--engines strata,leveldb] [--directory PATH]

  --keys         keys per workload (default 1000000)
  --reads        gets for readrandom and readmissing; scans read the same number of entries
                 (default 200000)
  --value-bytes  comma-separated value sizes in bytes (default 100,1024)
  --engines      comma-separated engines to run: strata, leveldb (default both)
  --directory    where the temporary databases go (default the system temporary directory)`;

/** Runs the storage benchmark with command-line `args`; see the module documentation. */
export async function runStorageBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      keys: { type: "string", default: "1000000" },
      reads: { type: "string", default: "200000" },
      "value-bytes": { type: "string", default: "100,1024" },
      engines: { type: "string", default: "strata,leveldb" },
      directory: { type: "string" },
      child: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const keyCount = Number(values.keys);
  const readCount = Number(values.reads);
  const valueSizes = values["value-bytes"].split(",").map(Number);
  const engines = values.engines.split(",");
  const openers: Record<string, (directory: string) => Promise<BenchTarget>> = {
    strata: openStrata,
    leveldb: openLevelDb,
  };
  const invalid = !Number.isInteger(keyCount) || keyCount < 1 || !Number.isInteger(readCount) ||
    readCount < 1 || valueSizes.some((size) => !Number.isInteger(size) || size < 1) ||
    engines.some((name) => !(name in openers));
  if (invalid) {
    console.error(USAGE);
    Deno.exit(2);
  }

  const baseDirectory = values.directory ?? await Deno.makeTempDir({ prefix: "strata-bench-" });
  if (values.child) {
    const settings = { keyCount, readCount, valueBytes: valueSizes[0]! };
    const result = await runWorkloads(openers[engines[0]!]!, settings, baseDirectory);
    console.log(CHILD_RESULT_PREFIX + JSON.stringify(result));
    return;
  }
  console.log(`storage benchmark: ${keyCount} keys, ${readCount} reads, engines ${engines}`);
  for (const valueBytes of valueSizes) {
    const results = new Map<string, BenchResult>();
    for (const name of engines) {
      const childArgs = [
        `--keys=${keyCount}`,
        `--reads=${readCount}`,
        `--value-bytes=${valueBytes}`,
        `--engines=${name}`,
        `--directory=${baseDirectory}`,
      ];
      console.error(`running ${name} with ${valueBytes}-byte values`);
      results.set(name, await runChild(childArgs));
    }
    console.log("\n" + formatTable(valueBytes, results));
  }
  if (values.directory === undefined) await Deno.remove(baseDirectory, { recursive: true });
}

const CHILD_RESULT_PREFIX = "storage-bench-result ";

/**
 * Runs one engine and value size in a fresh process, so its peak RSS and garbage are its own,
 * and returns the result the child printed.
 */
async function runChild(args: string[]): Promise<BenchResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const line = text.split("\n").find((candidate) => candidate.startsWith(CHILD_RESULT_PREFIX));
  if (!output.success || line === undefined) {
    throw new Error(`benchmark child ${args.join(" ")} failed with code ${output.code}`);
  }
  return JSON.parse(line.slice(CHILD_RESULT_PREFIX.length)) as BenchResult;
}

if (import.meta.main) await runStorageBench(Deno.args);
