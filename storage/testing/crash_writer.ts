/**
 * Child process for the SIGKILL crash test (`storage/crash_test.ts`): opens the engine on the
 * real disk with tiny memtables so it flushes and compacts constantly, runs concurrent writers,
 * and prints one line per acknowledged batch on stdout, written synchronously before the next
 * batch starts. The parent kills it at a random moment and checks every acknowledged batch.
 *
 * Usage: `deno run -A storage/testing/crash_writer.ts <directory> <round> <writers>`
 *
 * Batch `seq` of writer `w` in round `r` puts `hot/w/(seq % HOT_KEYS_PER_WRITER)` = `r:seq` (so
 * keys are overwritten and compaction drops versions) and three keys `batch/r/w/seq/i` that are
 * never overwritten (so a partial batch would show). Every 100 ms a `stats` line with the
 * engine's flush and compaction counts goes to stdout.
 *
 * @module
 */

import { openEngine } from "../mod.ts";

/** Overwritten keys per writer. */
export const HOT_KEYS_PER_WRITER = 40;
/** Bytes of each value, so memtables fill after about a hundred batches. */
export const VALUE_BYTES = 120;

const encoder = new TextEncoder();

/** Returns the operations of batch `seq` of `writer` in `round`. */
export function batchOperations(round: number, writer: number, seq: number) {
  const value = encoder.encode(`${round}:${seq}:`.padEnd(VALUE_BYTES, "x"));
  return [
    {
      kind: "put" as const,
      key: encoder.encode(`hot/${writer}/${seq % HOT_KEYS_PER_WRITER}`),
      value,
    },
    ...[0, 1, 2].map((part) => ({
      kind: "put" as const,
      key: encoder.encode(`batch/${round}/${writer}/${seq}/${part}`),
      value,
    })),
  ];
}

function emit(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

async function main(): Promise<void> {
  const [directory, roundText, writersText] = Deno.args;
  if (!directory || !roundText || !writersText) {
    throw new Error("usage: crash_writer.ts <directory> <round> <writers>");
  }
  const round = Number(roundText);
  const engine = await openEngine({
    directory,
    memtableSizeBytes: 48 * 1024,
    compaction: { minThreshold: 4 },
    statsLogIntervalMs: 0,
  });
  emit("ready");
  setInterval(() => {
    const stats = engine.stats();
    emit(`stats ${stats.flushes} ${stats.compactions}`);
  }, 100);
  const writers = Array.from({ length: Number(writersText) }, async (_, writer) => {
    for (let seq = 0;; seq++) {
      await engine.write(batchOperations(round, writer, seq));
      emit(`ack ${writer} ${seq}`);
    }
  });
  await Promise.all(writers);
}

if (import.meta.main) await main();
