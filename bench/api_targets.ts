/**
 * Servers the API benchmark measures, each started as its own process on a free port of
 * 127.0.0.1: Strata (through the compatibility suite's harness, with a temporary data directory),
 * dynalite in memory under Node, and the trivial reference server.
 *
 * dynalite is installed on first use into `bench/.deps/` (ignored by git) with
 * `npm install --prefix`; its in-memory store is what Strata is compared against.
 *
 * @module
 */

import { LineSplitStream, ServerProcess } from "../compat-tests/server_process.ts";

/** A running server under measurement. */
export interface BenchTarget {
  name: string;
  hostname: string;
  port: number;
  /** Version or build details printed with the results. */
  description: string;
  /** Process id of the server, for {@linkcode waitUntilIdle}. */
  pid: number;
  stop(): Promise<void>;
}

const BENCH_DIRECTORY = new URL(".", import.meta.url).pathname;
const DEPENDENCY_DIRECTORY = `${BENCH_DIRECTORY}.deps`;
/** dynalite release the results in docs/benchmarks.md were measured with. */
export const DYNALITE_VERSION = "4.0.0";
const PORT_LINE_TIMEOUT_MS = 20_000;

/**
 * Starts Strata with a fresh temporary data directory. `options.denoFlags` go to `deno run`
 * (for example `--cpu-prof` to profile the server) and `options.serveArgs` to `serve`.
 */
export async function startStrata(
  options: { denoFlags?: string[]; serveArgs?: string[] } = {},
): Promise<BenchTarget> {
  const server = await ServerProcess.start({
    logLevel: "info",
    denoFlags: options.denoFlags,
    extraArgs: options.serveArgs,
  });
  return {
    name: "strata",
    hostname: "127.0.0.1",
    port: server.port,
    pid: server.pid,
    description: `Strata (deno ${Deno.version.deno}), data dir on ${server.dataDir}`,
    stop: async () => {
      await server.stop();
      await server.close();
    },
  };
}

/** Clock ticks per second of `/proc/<pid>/stat` CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
/** A server counts as idle below this share of one core. */
const IDLE_CPU_SHARE = 0.05;
const IDLE_SAMPLE_MS = 500;

/**
 * Waits until process `pid` uses less than 5% of a core over half a second, so a case does not
 * measure background work left by the previous one (a memtable flush or compaction after the
 * PutItem case). Gives up after `timeoutMs` and returns false. Returns true at once where
 * `/proc` is missing.
 */
export async function waitUntilIdle(pid: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let before = cpuTicks(pid);
  if (before === undefined) return true;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const after = cpuTicks(pid);
    if (after === undefined) return true;
    const share = (after - before) / CLOCK_TICKS_PER_SECOND / (IDLE_SAMPLE_MS / 1000);
    if (share < IDLE_CPU_SHARE) return true;
    before = after;
  }
  return false;
}

/** User plus system CPU time of a process in clock ticks, or undefined without `/proc`. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Starts the trivial `Deno.serve` reference server. */
export async function startReference(): Promise<BenchTarget> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${BENCH_DIRECTORY}api_reference_server.ts`],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { port, drained } = await readPortLine(child, "reference server");
  return {
    name: "reference",
    hostname: "127.0.0.1",
    port,
    pid: child.pid,
    description: `trivial Deno.serve handler (deno ${Deno.version.deno})`,
    stop: () => stopChild(child, drained),
  };
}

/** Installs dynalite if needed and starts it in memory under Node. */
export async function startDynalite(): Promise<BenchTarget> {
  await installDynalite();
  const script = [
    "const dynalite = require('dynalite');",
    "const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });",
    "server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));",
    "process.on('SIGTERM', () => server.close(() => process.exit(0)));",
  ].join("\n");
  const child = new Deno.Command("node", {
    args: ["-e", script],
    cwd: DEPENDENCY_DIRECTORY,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { port, drained } = await readPortLine(child, "dynalite");
  const nodeVersion = new TextDecoder().decode(
    (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
  ).trim();
  return {
    name: "dynalite",
    hostname: "127.0.0.1",
    port,
    pid: child.pid,
    description: `dynalite ${DYNALITE_VERSION} in memory (node ${nodeVersion})`,
    stop: () => stopChild(child, drained),
  };
}

async function installDynalite(): Promise<void> {
  try {
    const manifest = JSON.parse(
      await Deno.readTextFile(`${DEPENDENCY_DIRECTORY}/node_modules/dynalite/package.json`),
    );
    if (manifest.version === DYNALITE_VERSION) return;
  } catch {
    // Not installed yet.
  }
  console.error(`installing dynalite ${DYNALITE_VERSION} into ${DEPENDENCY_DIRECTORY}`);
  const result = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      DEPENDENCY_DIRECTORY,
      "--no-audit",
      "--no-fund",
      `dynalite@${DYNALITE_VERSION}`,
    ],
    // npm's progress goes nowhere so the benchmark's stdout stays a clean report; errors and
    // warnings still reach stderr.
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!result.success) {
    throw new Error(`npm install dynalite@${DYNALITE_VERSION} failed with code ${result.code}`);
  }
}

/** Reads stdout lines until one is `{"port":N}`, then keeps draining the rest. */
async function readPortLine(
  child: Deno.ChildProcess,
  label: string,
): Promise<{ port: number; drained: Promise<void> }> {
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
    new LineSplitStream(),
  );
  const reader = lines.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label} did not print its port in ${PORT_LINE_TIMEOUT_MS} ms`)),
      PORT_LINE_TIMEOUT_MS,
    );
  });
  try {
    while (true) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`${label} exited before printing its port`);
      const match = /^\{"port":(\d+)\}$/.exec(value.trim());
      if (match) {
        const drained = (async () => {
          while (!(await reader.read()).done) { /* discard */ }
        })();
        return { port: Number(match[1]), drained };
      }
    }
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function stopChild(child: Deno.ChildProcess, drained: Promise<void>): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  await child.status;
  await drained;
}
