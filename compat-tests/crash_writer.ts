/**
 * Child process of the crash test: issues PutItem and UpdateItem (ADD counter) requests against
 * one Strata endpoint and reports each write on stdout as it is acknowledged.
 *
 * Output protocol, one line per event, written only after the fact it states:
 * - `put <PK> <SK> <value>`: a PutItem returned 200 with its full body.
 * - `attempt <SK>`: an ADD of 1 to counter `<SK>` is about to be sent.
 * - `inc <SK>`: that ADD returned 200 with its full body.
 * - `error <status> <body>`: the server returned an error; the writer exits with code 1.
 *
 * The writer runs `--concurrency` loops until a request fails at the transport level (the server
 * was killed) or `--duration-ms` passes, then exits with code 0.
 *
 * Usage: `deno run -A compat-tests/crash_writer.ts --endpoint URL --table NAME --round N`
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A syntactically complete SigV4 header; Strata accepts any credentials. */
export const FAKE_AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/" +
  "dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
  "0".repeat(64);

/** Partition key of the counters, shared by all rounds. */
export const COUNTER_PARTITION_KEY = "COUNTER";
/** Number of distinct counters the writers increment. */
export const COUNTER_COUNT = 4;
/**
 * Size of the filler attribute on each put, so that a round writes megabytes and a server run
 * with a small memtable flushes and compacts while it is being killed.
 */
export const PAYLOAD_BYTES = 2048;

/** Result of one DynamoDB JSON call. */
export interface DynamoResponse {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** Sends one DynamoDB JSON 1.0 request with `fetch` and reads the whole response body. */
export async function callDynamo(
  endpoint: string,
  operation: string,
  request: Record<string, unknown>,
): Promise<DynamoResponse> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `DynamoDB_20120810.${operation}`,
      "x-amz-date": "20240101T000000Z",
      authorization: FAKE_AUTHORIZATION,
    },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : JSON.parse(text), text };
}

interface WriterOptions {
  endpoint: string;
  table: string;
  round: number;
  concurrency: number;
  deadlineMs: number;
}

async function runWorker(options: WriterOptions, workerIndex: number, state: { stop: boolean }) {
  const partitionKey = `ROUND#${options.round}`;
  const counterSortKey = `C#${workerIndex % COUNTER_COUNT}`;
  for (let sequence = 0; !state.stop && Date.now() < options.deadlineMs; sequence += 1) {
    const isPut = sequence % 2 === 0;
    const sortKey = `W#${workerIndex}#${String(sequence).padStart(6, "0")}`;
    const value = `${options.round}-${workerIndex}-${sequence}-${crypto.randomUUID()}`;
    let response: DynamoResponse;
    try {
      if (isPut) {
        response = await callDynamo(options.endpoint, "PutItem", {
          TableName: options.table,
          Item: {
            PK: { S: partitionKey },
            SK: { S: sortKey },
            value: { S: value },
            payload: { S: value.padEnd(PAYLOAD_BYTES, "#") },
          },
        });
      } else {
        console.log(`attempt ${counterSortKey}`);
        response = await callDynamo(options.endpoint, "UpdateItem", {
          TableName: options.table,
          Key: { PK: { S: COUNTER_PARTITION_KEY }, SK: { S: counterSortKey } },
          UpdateExpression: "ADD hits :one",
          ExpressionAttributeValues: { ":one": { N: "1" } },
        });
      }
    } catch {
      // A transport failure means the server is gone; that request stays unacknowledged.
      state.stop = true;
      return;
    }
    if (response.status !== 200) {
      console.log(`error ${response.status} ${response.text.replaceAll("\n", " ")}`);
      state.stop = true;
      Deno.exitCode = 1;
      return;
    }
    console.log(isPut ? `put ${partitionKey} ${sortKey} ${value}` : `inc ${counterSortKey}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      endpoint: { type: "string" },
      table: { type: "string" },
      round: { type: "string", default: "0" },
      concurrency: { type: "string", default: "4" },
      "duration-ms": { type: "string", default: "15000" },
    },
  });
  if (!values.endpoint || !values.table) {
    console.error("usage: crash_writer.ts --endpoint URL --table NAME [--round N]");
    Deno.exit(2);
  }
  const options: WriterOptions = {
    endpoint: values.endpoint,
    table: values.table,
    round: Number(values.round),
    concurrency: Number(values.concurrency),
    deadlineMs: Date.now() + Number(values["duration-ms"]),
  };
  const state = { stop: false };
  await Promise.all(
    Array.from({ length: options.concurrency }, (_, index) => runWorker(options, index, state)),
  );
}

if (import.meta.main) await main();
