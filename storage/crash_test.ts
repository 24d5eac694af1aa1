/**
 * Real crash test: a child process (`testing/crash_writer.ts`) writes to the engine on the real
 * disk while it flushes and compacts, and is killed with SIGKILL at a random moment. After each
 * kill this process reopens the directory and checks that every acknowledged batch is present
 * and no batch is partly visible. The directory is kept across rounds, so later rounds also
 * recover from the earlier rounds' crashes.
 *
 * SIGKILL loses no written-but-unsynced bytes, because the kernel keeps them. So this test
 * exercises the order of file operations, and the simulated-disk tests cover lost fsyncs.
 *
 * Rounds: STRATA_CRASH_ROUNDS (default 30). Seed for kill timing: STRATA_SEED.
 *
 * @module
 */

import assert from "node:assert/strict";
import { openEngine } from "./mod.ts";
import { HOT_KEYS_PER_WRITER } from "./testing/crash_writer.ts";

const WRITERS = 4;
const ROUNDS = Number(Deno.env.get("STRATA_CRASH_ROUNDS") ?? 30);
const SEED = Number(Deno.env.get("STRATA_SEED") ?? Date.now() % 100_000);
/** Kill delay after the child reports ready, in milliseconds: [MIN, MIN + SPREAD). */
const KILL_DELAY_MIN_MS = 150;
const KILL_DELAY_SPREAD_MS = 700;

const decoder = new TextDecoder();
const writerPath = new URL("./testing/crash_writer.ts", import.meta.url).pathname;

/** Batches the children acknowledged, over all rounds. */
interface Acknowledged {
  /** Per hot key: the newest acknowledged [round, seq]. */
  hot: Map<string, [number, number]>;
  /** Per round and writer: acknowledged seqs (0..count-1, since each writer is sequential). */
  batchCounts: Map<string, number>;
}

/** Runs one child until it is killed; returns its stdout lines. */
async function runChild(directory: string, round: number, killDelayMs: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", writerPath, directory, String(round), String(WRITERS)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let buffered = "";
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line === "ready" && killTimer === undefined) {
        killTimer = setTimeout(() => child.kill("SIGKILL"), killDelayMs);
      }
    }
  }
  clearTimeout(killTimer);
  const status = await child.status;
  const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
  assert.equal(status.signal, "SIGKILL", `child ended without being killed: ${stderr}`);
  return lines;
}

function recordAcks(lines: string[], round: number, acknowledged: Acknowledged) {
  const stats = { flushes: 0, compactions: 0 };
  for (const line of lines) {
    const [kind, first, second] = line.split(" ");
    if (kind === "stats") {
      stats.flushes = Number(first);
      stats.compactions = Number(second);
      continue;
    }
    if (kind !== "ack") continue;
    const writer = Number(first);
    const seq = Number(second);
    acknowledged.batchCounts.set(`${round}/${writer}`, seq + 1);
    acknowledged.hot.set(`hot/${writer}/${seq % HOT_KEYS_PER_WRITER}`, [round, seq]);
  }
  return stats;
}

async function verify(directory: string, acknowledged: Acknowledged, round: number) {
  const engine = await openEngine({ directory, statsLogIntervalMs: 0 });
  try {
    for (const [key, [ackRound, ackSeq]] of acknowledged.hot) {
      const value = await engine.get(new TextEncoder().encode(key));
      assert.ok(value, `round ${round} seed ${SEED}: acknowledged ${key} is missing`);
      const [valueRound, valueSeq] = decoder.decode(value).split(":").map(Number);
      const newer = valueRound! > ackRound || (valueRound === ackRound && valueSeq! >= ackSeq);
      assert.ok(
        newer,
        `round ${round} seed ${SEED}: ${key} went back to ${valueRound}:${valueSeq}`,
      );
    }

    const parts = new Map<string, number>();
    for await (const entry of engine.scan({ start: new TextEncoder().encode("batch/") })) {
      const key = decoder.decode(entry.key);
      if (!key.startsWith("batch/")) break;
      const batch = key.slice(0, key.lastIndexOf("/"));
      parts.set(batch, (parts.get(batch) ?? 0) + 1);
    }
    for (const [batch, count] of parts) {
      assert.equal(count, 3, `round ${round} seed ${SEED}: batch ${batch} is partial`);
    }
    for (const [roundWriter, count] of acknowledged.batchCounts) {
      for (let seq = 0; seq < count; seq++) {
        assert.ok(parts.has(`batch/${roundWriter}/${seq}`), `lost batch ${roundWriter}/${seq}`);
      }
    }
  } finally {
    await engine.close();
  }
}

Deno.test({
  name: "engine keeps acknowledged writes across SIGKILL",
  sanitizeResources: false,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "strata-crash-" });
    const acknowledged: Acknowledged = { hot: new Map(), batchCounts: new Map() };
    let random = SEED;
    const next = () => (random = (random * 1103515245 + 12345) % 2147483648) / 2147483648;
    const totals = { flushes: 0, compactions: 0, acknowledgedBatches: 0 };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const delayMs = KILL_DELAY_MIN_MS + Math.floor(next() * KILL_DELAY_SPREAD_MS);
        const lines = await runChild(directory, round, delayMs);
        const stats = recordAcks(lines, round, acknowledged);
        totals.flushes += stats.flushes;
        totals.compactions += stats.compactions;
        await verify(directory, acknowledged, round);
      }
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
    for (const count of acknowledged.batchCounts.values()) totals.acknowledgedBatches += count;
    console.log(`crash test seed ${SEED}: ${ROUNDS} rounds, ${JSON.stringify(totals)}`);
    assert.ok(totals.acknowledgedBatches > ROUNDS, "children acknowledged almost nothing");
    assert.ok(totals.flushes > 0, "no child flushed a memtable before its kill");
    assert.ok(totals.compactions > 0, "no child compacted before its kill");
  },
});
