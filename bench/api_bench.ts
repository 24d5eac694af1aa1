/**
 * API benchmark: PutItem, GetItem and Query (10 items per query) with 1 KB items over keep-alive
 * HTTP at 1, 16 and 64 connections, against Strata and dynalite (in memory) in the same run, with
 * a trivial `Deno.serve` handler as the reference for what the client and HTTP stack allow.
 *
 * Each case is a closed loop (see `api_load.ts`) of a bounded duration after a short warm-up. It
 * starts once the server's process is idle (below 5% of a core), so background work left by the
 * previous case, such as Strata's memtable flush after PutItem, is not measured.
 * Requests carry a syntactically valid SigV4 `Authorization` header; neither server checks the
 * signature. Results print as a markdown table followed by Strata/dynalite ratios and the targets
 * at 16 connections.
 *
 * Usage: `deno task bench [api] [--duration-ms 3000] [--warmup-ms 500] [--connections 1,16,64]
 * [--targets reference,strata,dynalite] [--operations PutItem,GetItem,Query] [--json FILE]
 * [--strata-deno-flags="--cpu-prof --cpu-prof-dir=DIR"] [--strata-args="--wal-sync batch-ms:2"]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { callDynamo, FAKE_AUTHORIZATION } from "../compat-tests/crash_writer.ts";
import { buildPostRequest } from "./api_http_client.ts";
import { type LoadResult, type RequestFactory, runLoad } from "./api_load.ts";
import {
  type BenchTarget,
  startDynalite,
  startReference,
  startStrata,
  waitUntilIdle,
} from "./api_targets.ts";

const TABLE_NAME = "bench";
/** Item size, counted as DynamoDB counts it (attribute names plus values). */
const ITEM_SIZE_BYTES = 1024;
/** Distinct items GetItem reads from. */
const GET_KEY_COUNT = 5000;
/** Partitions Query reads from, each holding {@linkcode QUERY_ITEMS_PER_PARTITION} items. */
const QUERY_PARTITION_COUNT = 200;
const QUERY_ITEMS_PER_PARTITION = 10;
/** Distinct keys PutItem cycles through. */
const PUT_KEY_COUNT = 5000;
/** Offset between the first keys of consecutive PutItem connections. */
const PUT_KEY_STRIDE = 997;
/** Concurrent BatchWriteItem requests while loading data. */
const PRELOAD_CONCURRENCY = 8;

const OPERATIONS = ["PutItem", "GetItem", "Query"] as const;
type Operation = typeof OPERATIONS[number];

/** One measured case. */
interface CaseResult extends LoadResult {
  target: string;
  operation: Operation;
  connectionCount: number;
}

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  connectionCounts: number[];
  targetNames: string[];
  operations: Operation[];
  jsonPath: string | undefined;
  /** Extra `deno run` flags for the Strata server, such as `--cpu-prof`. */
  strataDenoFlags: string[];
  /** Extra `serve` arguments for the Strata server, such as `--wal-sync batch-ms:2`. */
  strataArgs: string[];
}

function splitFlags(text: string): string[] {
  return text.split(" ").filter((flag) => flag !== "");
}

/** Runs the API benchmark with command-line style arguments. */
export async function runApiBench(args: string[]): Promise<void> {
  const options = parseBenchOptions(args);
  printMachine();

  const targets: BenchTarget[] = [];
  try {
    for (const name of options.targetNames) {
      const target = await startTarget(name, options);
      targets.push(target);
      console.log(`- ${target.name}: ${target.description}`);
      if (name !== "reference") await prepareData(target);
    }

    const results: CaseResult[] = [];
    for (const operation of options.operations) {
      for (const connectionCount of options.connectionCounts) {
        for (const target of targets) {
          const result = await measure(target, operation, connectionCount, options);
          results.push(result);
          console.error(
            `${target.name} ${operation} c=${connectionCount}: ${
              result.opsPerSecond.toFixed(0)
            } ops/s ` +
              `p50 ${result.p50Ms.toFixed(2)} ms p99 ${result.p99Ms.toFixed(2)} ms ` +
              `client CPU ${result.clientCpuPercent.toFixed(0)}%` +
              (result.errorCount > 0 ? ` errors ${result.errorCount}: ${result.firstError}` : ""),
          );
        }
      }
    }

    console.log(formatResults(results));
    console.log(formatRatios(results));
    if (options.jsonPath) {
      await Deno.writeTextFile(options.jsonPath, JSON.stringify(results, null, 2) + "\n");
    }
  } finally {
    for (const target of targets) await target.stop();
  }
}

function parseBenchOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      "duration-ms": { type: "string", default: "3000" },
      "warmup-ms": { type: "string", default: "500" },
      connections: { type: "string", default: "1,16,64" },
      targets: { type: "string", default: "reference,strata,dynalite" },
      operations: { type: "string", default: OPERATIONS.join(",") },
      json: { type: "string" },
      "strata-deno-flags": { type: "string", default: "" },
      "strata-args": { type: "string", default: "" },
    },
  });
  const operations = values.operations.split(",") as Operation[];
  for (const operation of operations) {
    if (!OPERATIONS.includes(operation)) {
      throw new Error(`unknown operation ${operation}; expected one of ${OPERATIONS.join(", ")}`);
    }
  }
  return {
    durationMs: Number(values["duration-ms"]),
    warmupMs: Number(values["warmup-ms"]),
    connectionCounts: values.connections.split(",").map(Number),
    targetNames: values.targets.split(","),
    operations,
    jsonPath: values.json,
    strataDenoFlags: splitFlags(values["strata-deno-flags"]),
    strataArgs: splitFlags(values["strata-args"]),
  };
}

function startTarget(name: string, options: BenchOptions): Promise<BenchTarget> {
  if (name === "strata") {
    return startStrata({ denoFlags: options.strataDenoFlags, serveArgs: options.strataArgs });
  }
  if (name === "dynalite") return startDynalite();
  if (name === "reference") return startReference();
  throw new Error(`unknown target ${name}; expected strata, dynalite or reference`);
}

function printMachine(): void {
  let cpuModel = "unknown";
  try {
    const cpuInfo = Deno.readTextFileSync("/proc/cpuinfo");
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? cpuModel;
  } catch {
    // Not Linux.
  }
  console.log(`machine: ${navigator.hardwareConcurrency} CPUs (nproc), ${cpuModel}`);
}

/** Returns a string attribute value that brings the item to {@linkcode ITEM_SIZE_BYTES}. */
function payloadFor(partitionKey: string, sortKey: string): string {
  const overheadBytes = 2 + partitionKey.length + 2 + sortKey.length + "payload".length;
  return "x".repeat(ITEM_SIZE_BYTES - overheadBytes);
}

function itemJson(partitionKey: string, sortKey: string) {
  return {
    PK: { S: partitionKey },
    SK: { S: sortKey },
    payload: { S: payloadFor(partitionKey, sortKey) },
  };
}

function getKey(index: number): string {
  return `get#${String(index).padStart(5, "0")}`;
}

function queryPartition(index: number): string {
  return `query#${String(index).padStart(4, "0")}`;
}

/** Creates the table and loads the GetItem and Query items. */
async function prepareData(target: BenchTarget): Promise<void> {
  const endpoint = `http://${target.hostname}:${target.port}`;
  const created = await callDynamo(endpoint, "CreateTable", {
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
  if (created.status !== 200) throw new Error(`CreateTable on ${target.name}: ${created.text}`);
  await waitForActive(endpoint);

  const items: ReturnType<typeof itemJson>[] = [];
  for (let index = 0; index < GET_KEY_COUNT; index += 1) {
    items.push(itemJson(getKey(index), "item"));
  }
  for (let partition = 0; partition < QUERY_PARTITION_COUNT; partition += 1) {
    for (let index = 0; index < QUERY_ITEMS_PER_PARTITION; index += 1) {
      items.push(itemJson(queryPartition(partition), `item#${String(index).padStart(2, "0")}`));
    }
  }
  const batches: ReturnType<typeof itemJson>[][] = [];
  for (let start = 0; start < items.length; start += 25) {
    batches.push(items.slice(start, start + 25));
  }
  let nextBatch = 0;
  await Promise.all(Array.from({ length: PRELOAD_CONCURRENCY }, async () => {
    while (nextBatch < batches.length) {
      const batch = batches[nextBatch++]!;
      let pending: unknown[] = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt >= 10) throw new Error(`${target.name} left items unprocessed`);
        const response = await callDynamo(endpoint, "BatchWriteItem", {
          RequestItems: { [TABLE_NAME]: pending },
        });
        if (response.status !== 200) {
          throw new Error(`BatchWriteItem on ${target.name}: ${response.text}`);
        }
        const unprocessed = response.body.UnprocessedItems as Record<string, unknown[]> | undefined;
        pending = unprocessed?.[TABLE_NAME] ?? [];
      }
    }
  }));

  const check = await callDynamo(endpoint, "Query", queryRequestBody(queryPartition(0)));
  if (check.body.Count !== QUERY_ITEMS_PER_PARTITION) {
    throw new Error(`${target.name} Query returned ${check.text.slice(0, 200)}`);
  }
}

async function waitForActive(endpoint: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const response = await callDynamo(endpoint, "DescribeTable", { TableName: TABLE_NAME });
    const table = response.body.Table as { TableStatus?: string } | undefined;
    if (table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${TABLE_NAME} did not become ACTIVE at ${endpoint}`);
}

function queryRequestBody(partitionKey: string) {
  return {
    TableName: TABLE_NAME,
    KeyConditionExpression: "PK = :pk",
    ExpressionAttributeValues: { ":pk": { S: partitionKey } },
  };
}

/**
 * Returns a request factory for `operation`. Every request is built before the run, so the load
 * generator spends no time on JSON or encoding while measuring.
 */
function requestFactory(target: BenchTarget, operation: Operation): RequestFactory {
  const hostHeader = `${target.hostname}:${target.port}`;
  const headers = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": `DynamoDB_20120810.${operation}`,
    "X-Amz-Date": "20240101T000000Z",
    Authorization: FAKE_AUTHORIZATION,
  };
  const build = (body: unknown) => buildPostRequest(hostHeader, headers, JSON.stringify(body));

  if (operation === "PutItem") {
    // Connections start at spread-out offsets in one shared pool of keys and overwrite as they go.
    const pool = Array.from(
      { length: PUT_KEY_COUNT },
      (_, index) =>
        build({
          TableName: TABLE_NAME,
          Item: itemJson(`put#${String(index).padStart(5, "0")}`, "item"),
        }),
    );
    return (connectionIndex, sequence) =>
      pool[(connectionIndex * PUT_KEY_STRIDE + sequence) % PUT_KEY_COUNT]!;
  }
  const pool = operation === "GetItem"
    ? Array.from(
      { length: GET_KEY_COUNT },
      (_, index) =>
        build({ TableName: TABLE_NAME, Key: { PK: { S: getKey(index) }, SK: { S: "item" } } }),
    )
    : Array.from(
      { length: QUERY_PARTITION_COUNT },
      (_, index) => build(queryRequestBody(queryPartition(index))),
    );
  return () => pool[Math.floor(Math.random() * pool.length)]!;
}

async function measure(
  target: BenchTarget,
  operation: Operation,
  connectionCount: number,
  options: BenchOptions,
): Promise<CaseResult> {
  if (!(await waitUntilIdle(target.pid))) {
    console.error(`${target.name} stayed busy for 60 s before ${operation}; measuring anyway`);
  }
  const result = await runLoad({
    hostname: target.hostname,
    port: target.port,
    connectionCount,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    makeRequest: requestFactory(target, operation),
  });
  return { ...result, target: target.name, operation, connectionCount };
}

function formatResults(results: CaseResult[]): string {
  const lines = [
    "",
    "| target | operation | connections | ops/s | p50 ms | p99 ms | errors | client CPU |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const result of results) {
    lines.push(
      `| ${result.target} | ${result.operation} | ${result.connectionCount} | ` +
        `${Math.round(result.opsPerSecond)} | ${result.p50Ms.toFixed(2)} | ` +
        `${result.p99Ms.toFixed(2)} | ${result.errorCount} | ${
          result.clientCpuPercent.toFixed(0)
        }% |`,
    );
  }
  return lines.join("\n");
}

/** Ratio targets at 16 connections: Strata ops/s over dynalite ops/s. */
const RATIO_TARGETS: Record<Operation, number> = { PutItem: 2, GetItem: 3, Query: 3 };
/** p99 latency target for Strata at 16 connections. */
const P99_TARGET_MS = 5;

function formatRatios(results: CaseResult[]): string {
  const find = (target: string, operation: Operation, connectionCount: number) =>
    results.find((result) =>
      result.target === target && result.operation === operation &&
      result.connectionCount === connectionCount
    );
  const lines = [
    "",
    "| operation | connections | strata / dynalite ops/s | strata / reference ops/s |",
    "| --- | ---: | ---: | ---: |",
  ];
  const connectionCounts = [...new Set(results.map((result) => result.connectionCount))];
  for (const operation of OPERATIONS) {
    for (const connectionCount of connectionCounts) {
      const strata = find("strata", operation, connectionCount);
      if (strata === undefined) continue;
      const dynalite = find("dynalite", operation, connectionCount);
      const reference = find("reference", operation, connectionCount);
      const ratio = (other: CaseResult | undefined) =>
        other && other.opsPerSecond > 0
          ? (strata.opsPerSecond / other.opsPerSecond).toFixed(2)
          : "n/a";
      lines.push(
        `| ${operation} | ${connectionCount} | ${ratio(dynalite)} | ${ratio(reference)} |`,
      );
    }
  }

  lines.push("", "Targets at 16 connections:");
  for (const operation of OPERATIONS) {
    const strata = find("strata", operation, 16);
    const dynalite = find("dynalite", operation, 16);
    if (strata === undefined || dynalite === undefined) continue;
    const ratio = strata.opsPerSecond / dynalite.opsPerSecond;
    const ratioMet = ratio >= RATIO_TARGETS[operation];
    const p99Met = strata.p99Ms < P99_TARGET_MS;
    lines.push(
      `- ${operation}: ${ratio.toFixed(2)}x dynalite (target ${RATIO_TARGETS[operation]}x: ` +
        `${ratioMet ? "met" : "missed"}), p99 ${strata.p99Ms.toFixed(2)} ms ` +
        `(target < ${P99_TARGET_MS} ms: ${p99Met ? "met" : "missed"})`,
    );
  }
  return lines.join("\n");
}
