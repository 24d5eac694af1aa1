/**
 * Crash test: every acknowledged write survives SIGKILL of the server at a random moment.
 *
 * Method: each round starts `crash_writer.ts` as a child process against the running server. The
 * writer prints each PutItem and each counter increment only after its 200 response. At a random
 * moment (sometimes before the first acknowledgement, usually after it) the test kills the server
 * with SIGKILL, waits for the writer to notice, restarts the server on the same data directory and
 * scans the table. In about one round in three the restart is itself killed at a random moment
 * during startup and recovery first. Every acknowledged put must be present with its exact value,
 * and each counter must lie between its acknowledged and its attempted increments. After the last
 * round the server is also stopped cleanly and checked once more.
 *
 * The random seed is printed at the start, and `STRATA_SEED=<seed>` replays the same kill schedule.
 * Process timing still varies, so a replay is close to the original run but not identical.
 *
 * @module
 */

import assert from "node:assert/strict";
import { callDynamo, COUNTER_PARTITION_KEY, PAYLOAD_BYTES } from "./crash_writer.ts";
import { LineSplitStream, REPOSITORY_ROOT, ServerProcess } from "./server_process.ts";

const ROUND_COUNT = 20;
/** Maximum wait for the writer's first acknowledgement in a round. */
const FIRST_ACK_TIMEOUT_MS = 10_000;
/** Maximum time a writer may run after the server was killed. */
const WRITER_EXIT_TIMEOUT_MS = 10_000;
/** Upper bound on the random delay between the first acknowledgement and the kill. */
const KILL_DELAY_MAX_MS = 600;
/** Range of the delay between spawning a server and killing it during startup. */
const STARTUP_KILL_DELAY_MIN_MS = 20;
const STARTUP_KILL_DELAY_MAX_MS = 350;
/** Upper bound on Scan pages when reading the table back. */
const SCAN_PAGE_MAX = 1000;
const TABLE_NAME = "crash_test";

/** Small seeded generator (mulberry32), so a seed reproduces the kill schedule. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the writers reported, accumulated over all rounds. */
interface Acknowledged {
  puts: Map<string, string>;
  incrementsAcknowledged: Map<string, number>;
  incrementsAttempted: Map<string, number>;
}

function recordLine(line: string, acknowledged: Acknowledged, errors: string[]): boolean {
  const [kind, ...fields] = line.split(" ");
  if (kind === "put") {
    acknowledged.puts.set(`${fields[0]}|${fields[1]}`, fields[2] ?? "");
    return true;
  }
  if (kind === "inc" || kind === "attempt") {
    const counters = kind === "inc"
      ? acknowledged.incrementsAcknowledged
      : acknowledged.incrementsAttempted;
    const counterKey = fields[0] ?? "";
    counters.set(counterKey, (counters.get(counterKey) ?? 0) + 1);
    return kind === "inc";
  }
  if (kind === "error") errors.push(line);
  return false;
}

/** Reads the whole table with strongly consistent Scan pages into `PK|SK` → item. */
async function scanTable(
  endpoint: string,
): Promise<Map<string, Record<string, { S?: string; N?: string }>>> {
  const items = new Map<string, Record<string, { S?: string; N?: string }>>();
  let startKey: unknown;
  for (let pageIndex = 0; pageIndex < SCAN_PAGE_MAX; pageIndex += 1) {
    const response = await callDynamo(endpoint, "Scan", {
      TableName: TABLE_NAME,
      ConsistentRead: true,
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    });
    assert.equal(response.status, 200, `Scan failed: ${response.text}`);
    const pageItems = (response.body.Items ?? []) as Record<string, { S?: string; N?: string }>[];
    for (const item of pageItems) items.set(`${item.PK?.S}|${item.SK?.S}`, item);
    startKey = response.body.LastEvaluatedKey;
    if (startKey === undefined) return items;
  }
  throw new Error(`Scan returned more than ${SCAN_PAGE_MAX} pages`);
}

async function verifyAcknowledged(endpoint: string, acknowledged: Acknowledged, when: string) {
  const items = await scanTable(endpoint);
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [key, value] of acknowledged.puts) {
    const item = items.get(key);
    if (item === undefined) missing.push(key);
    else if (item.value?.S !== value) changed.push(`${key}: ${item.value?.S} != ${value}`);
    else if (item.payload?.S !== value.padEnd(PAYLOAD_BYTES, "#")) changed.push(`${key}: payload`);
  }
  assert.deepEqual(missing.slice(0, 10), [], `${when}: ${missing.length} acknowledged puts lost`);
  assert.deepEqual(changed.slice(0, 10), [], `${when}: acknowledged values changed`);

  for (const [counterKey, attempted] of acknowledged.incrementsAttempted) {
    const acknowledgedCount = acknowledged.incrementsAcknowledged.get(counterKey) ?? 0;
    const stored = Number(items.get(`${COUNTER_PARTITION_KEY}|${counterKey}`)?.hits?.N ?? "0");
    assert.ok(
      stored >= acknowledgedCount,
      `${when}: counter ${counterKey} is ${stored}, below ${acknowledgedCount} acknowledged`,
    );
    assert.ok(
      stored <= attempted,
      `${when}: counter ${counterKey} is ${stored}, above ${attempted} attempted`,
    );
  }
}

/** Runs one writer until the server is killed; returns the number of acknowledged writes. */
async function runRound(
  server: ServerProcess,
  round: number,
  random: () => number,
  acknowledged: Acknowledged,
): Promise<number> {
  const writer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "compat-tests/crash_writer.ts",
      "--endpoint",
      server.endpoint,
      "--table",
      TABLE_NAME,
      "--round",
      String(round),
    ],
    cwd: REPOSITORY_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();

  const errors: string[] = [];
  let ackCount = 0;
  let signalFirstAck: () => void = () => {};
  const firstAck = new Promise<void>((resolve) => signalFirstAck = resolve);
  const reader = (async () => {
    const lines = writer.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new LineSplitStream(),
    );
    for await (const line of lines) {
      if (recordLine(line, acknowledged, errors)) {
        ackCount += 1;
        signalFirstAck();
      }
    }
  })();

  // One round in five kills at a random moment without waiting for an acknowledgement.
  const killEarly = random() < 0.2;
  const killDelayMs = Math.floor(random() * KILL_DELAY_MAX_MS);
  if (!killEarly) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      firstAck,
      new Promise((resolve) => timer = setTimeout(resolve, FIRST_ACK_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
  }
  await new Promise((resolve) => setTimeout(resolve, killDelayMs));
  await server.kill();

  let exitTimer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    writer.status.then(() => true),
    new Promise<false>((resolve) =>
      exitTimer = setTimeout(() => resolve(false), WRITER_EXIT_TIMEOUT_MS)
    ),
  ]);
  clearTimeout(exitTimer);
  if (!exited) writer.kill("SIGKILL");
  const status = await writer.status;
  await reader;

  assert.deepEqual(errors, [], `round ${round}: the server returned errors`);
  assert.ok(exited, `round ${round}: writer did not stop within ${WRITER_EXIT_TIMEOUT_MS} ms`);
  assert.equal(status.code, 0, `round ${round}: writer exit code`);
  return ackCount;
}

Deno.test("crash test: acknowledged writes survive SIGKILL", async () => {
  const seedText = Deno.env.get("STRATA_SEED");
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  console.log(
    `crash test seed: ${seed} (replay: STRATA_SEED=${seed} deno test -A compat-tests/crash_test.ts)`,
  );
  const random = createRandom(seed);
  const acknowledged: Acknowledged = {
    puts: new Map(),
    incrementsAcknowledged: new Map(),
    incrementsAttempted: new Map(),
  };

  // A 1 MiB memtable makes the server flush SSTables (and compact them) during the rounds, so
  // kills also land in those paths, not only in WAL appends.
  const server = await ServerProcess.start({ extraArgs: ["--memtable-mb", "1"] });
  try {
    const created = await callDynamo(server.endpoint, "CreateTable", {
      TableName: TABLE_NAME,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "SK", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });
    assert.equal(created.status, 200, `CreateTable failed: ${created.text}`);

    let totalAcks = 0;
    let startupKillCount = 0;
    let startupKillsBeforeListeningCount = 0;
    for (let round = 0; round < ROUND_COUNT; round += 1) {
      totalAcks += await runRound(server, round, random, acknowledged);
      if (random() < 0.33) {
        const delayMs = STARTUP_KILL_DELAY_MIN_MS +
          Math.floor(random() * (STARTUP_KILL_DELAY_MAX_MS - STARTUP_KILL_DELAY_MIN_MS));
        const hadStarted = await server.crashDuringStartup(delayMs);
        startupKillCount += 1;
        if (!hadStarted) startupKillsBeforeListeningCount += 1;
      }
      await server.restart();
      await verifyAcknowledged(server.endpoint, acknowledged, `after kill ${round + 1}`);
    }
    assert.ok(totalAcks > ROUND_COUNT, `only ${totalAcks} writes were acknowledged in total`);

    await server.restart();
    await verifyAcknowledged(server.endpoint, acknowledged, "after a clean restart");
    console.log(
      `crash test: ${ROUND_COUNT} kills under load, ${startupKillCount} during startup ` +
        `(${startupKillsBeforeListeningCount} before listening), ` +
        `${acknowledged.puts.size} acknowledged puts, ` +
        `${[...acknowledged.incrementsAcknowledged.values()].reduce((a, b) => a + b, 0)} ` +
        `acknowledged increments`,
    );
  } catch (error) {
    console.error(`crash test failed with seed ${seed}; server output:\n${server.recentOutput()}`);
    throw error;
  } finally {
    await server.close();
  }
});
