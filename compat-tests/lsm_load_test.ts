/**
 * The server on the LSM engine with a deliberately small memtable and block cache (1 MiB each):
 * a data set many times larger loads through the API, the server's resident memory stays
 * bounded, a restart after SIGKILL returns every acknowledged item, and after every key has been
 * overwritten several times, compaction brings the data directory back near the live data size.
 *
 * Method: one real server process; items are 1 KiB strings written with BatchWriteItem, verified
 * with a COUNT scan and spot reads; memory is read from `/proc/<pid>/status` (Linux).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { ServerProcess } from "./server_process.ts";
import {
  asciiText,
  createClients,
  createTableAndWait,
  singleTableDefinition,
} from "./sdk_support.ts";

const ITEM_COUNT = 12_000;
const VALUE_BYTES = 1024;
const BATCH_SIZE = 25;
/** Resident memory allowed for the server process, well above its idle size of about 100 MiB. */
const RESIDENT_BYTES_MAX = 400 * 1024 * 1024;
/**
 * Storage directory bytes allowed per byte of live payload once writes have stopped for a while.
 * Items carry keys and attribute names besides the payload, and the WAL contains the memtable's writes.
 */
const SPACE_AMPLIFICATION_MAX = 2;

async function writeAll(client: DynamoDBClient, tableName: string, generation: number) {
  const value = asciiText(VALUE_BYTES, generation);
  const batches: Promise<unknown>[] = [];
  for (let start = 0; start < ITEM_COUNT; start += BATCH_SIZE) {
    const requests = [];
    for (let index = start; index < Math.min(start + BATCH_SIZE, ITEM_COUNT); index++) {
      requests.push({
        PutRequest: {
          Item: {
            PK: { S: `USER#${index % 97}` },
            SK: { S: `ITEM#${index}` },
            generation: { N: String(generation) },
            payload: { S: value },
          },
        },
      });
    }
    batches.push(
      client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } })),
    );
    if (batches.length >= 8) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
}

async function countItems(client: DynamoDBClient, tableName: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, Select: "COUNT", ExclusiveStartKey: startKey }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey !== undefined);
  return count;
}

async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(match, "VmRSS missing from /proc status");
  return Number(match[1]) * 1024;
}

/**
 * Sums the sizes of the files under `path`. The running server deletes WAL segments and merged
 * tables at any moment, so a file that disappears between the listing and its `stat` counts as 0.
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

Deno.test("LSM server loads, recovers and compacts through the API", async (t) => {
  const server = await ServerProcess.start({
    extraArgs: ["--memtable-mb", "1", "--block-cache-mb", "1"],
  });
  let clients = createClients(server.endpoint);
  const tableName = "lsm_load";
  const liveBytes = ITEM_COUNT * VALUE_BYTES;

  try {
    await createTableAndWait(clients.client, singleTableDefinition(tableName));

    await t.step("a data set much larger than memtable and cache loads", async () => {
      await writeAll(clients.client, tableName, 1);
      assert.equal(await countItems(clients.client, tableName), ITEM_COUNT);
      const resident = await residentBytes(server.pid);
      assert.ok(resident < RESIDENT_BYTES_MAX, `server RSS ${resident} bytes`);
    });

    await t.step("SIGKILL and restart keep every acknowledged item", async () => {
      clients.destroy();
      await server.kill();
      const started = performance.now();
      await server.restart();
      const restartMs = performance.now() - started;
      clients = createClients(server.endpoint);
      assert.equal(await countItems(clients.client, tableName), ITEM_COUNT);
      for (const index of [0, 1, 4_999, ITEM_COUNT - 1]) {
        const result = await clients.client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { PK: { S: `USER#${index % 97}` }, SK: { S: `ITEM#${index}` } },
          }),
        );
        assert.equal(result.Item?.generation?.N, "1", `item ${index}`);
      }
      // Startup replays only the unflushed WAL, so it stays short even with many SSTables.
      assert.ok(restartMs < 15_000, `restart took ${restartMs} ms`);
    });

    await t.step("compaction reclaims overwritten versions", async () => {
      for (const generation of [2, 3, 4]) await writeAll(clients.client, tableName, generation);
      const storage = `${server.dataDir}/storage`;
      const deadline = Date.now() + 60_000;
      let used = await directoryBytes(storage);
      while (used > SPACE_AMPLIFICATION_MAX * liveBytes && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        used = await directoryBytes(storage);
      }
      assert.ok(
        used <= SPACE_AMPLIFICATION_MAX * liveBytes,
        `data directory holds ${used} bytes for ${liveBytes} live`,
      );
      const sample = await clients.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: "USER#7" }, SK: { S: "ITEM#7" } },
        }),
      );
      assert.equal(sample.Item?.generation?.N, "4");
    });
  } finally {
    clients.destroy();
    await server.close();
  }
});
