/**
 * Shared pieces of the compatibility suite: the server under test, AWS SDK v3 clients pointed at
 * it, table helpers and an assertion for DynamoDB error shapes.
 *
 * {@linkcode startTarget} starts a fresh Strata server with its own temporary data directory.
 * Setting `STRATA_COMPAT_ENDPOINT` (for example to a DynamoDB Local or dynalite URL) points the
 * SDK, wire and CLI tests at that endpoint instead, which checks the tests' expectations against
 * another implementation; tests that restart or kill the server always start their own.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ServerProcess } from "./server_process.ts";

/** Region passed to every client; Strata accepts any. */
export const TEST_REGION = "us-east-1";
/** Fake credentials; Strata accepts any signed request. */
export const TEST_CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
/** Longest wait for a table to become ACTIVE or disappear. */
const TABLE_WAIT_TIMEOUT_MS = 30_000;

/** The endpoint under test, and how to release it. */
export interface Target {
  endpoint: string;
  /** The Strata process, or undefined when `STRATA_COMPAT_ENDPOINT` names an external endpoint. */
  server: ServerProcess | undefined;
  close(): Promise<void>;
}

/** Starts the server under test (see the module documentation for `STRATA_COMPAT_ENDPOINT`). */
export async function startTarget(options: { extraArgs?: string[] } = {}): Promise<Target> {
  const external = Deno.env.get("STRATA_COMPAT_ENDPOINT");
  if (external) {
    return { endpoint: external, server: undefined, close: () => Promise.resolve() };
  }
  const server = await ServerProcess.start({ extraArgs: options.extraArgs });
  return { endpoint: server.endpoint, server, close: () => server.close() };
}

/** A low-level client and a DocumentClient sharing one connection pool. */
export interface Clients {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  /** Closes the pooled keep-alive sockets. */
  destroy(): void;
}

/**
 * Creates SDK clients for `endpoint`. Retries are off (`maxAttempts: 1`), so a server error is
 * reported as it happened instead of being retried away.
 */
export function createClients(endpoint: string): Clients {
  const client = new DynamoDBClient({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    accountIdEndpointMode: "disabled",
    maxAttempts: 1,
  });
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    client,
    documentClient,
    destroy: () => {
      documentClient.destroy();
      client.destroy();
    },
  };
}

let tableCounter = 0;

/** Returns a table name unique within this test process, such as `compat_orders_3_k2j4`. */
export function uniqueTableName(prefix: string): string {
  tableCounter += 1;
  return `compat_${prefix}_${tableCounter}_${crypto.randomUUID().slice(0, 8)}`;
}

/** Key schema of the single-table design: string `PK` and `SK`. */
export function singleTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: "PK", AttributeType: "S" },
      { AttributeName: "SK", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  };
}

/** Creates a table and polls DescribeTable until its status is ACTIVE. */
export async function createTableAndWait(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
): Promise<void> {
  await client.send(new CreateTableCommand(input));
  await waitForTableStatus(client, input.TableName!, "ACTIVE");
}

/** Deletes a table and polls DescribeTable until it returns ResourceNotFoundException. */
export async function deleteTableAndWait(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await waitForTableStatus(client, tableName, "GONE");
}

/** Polls DescribeTable until the table has `status`, or until it is gone for `"GONE"`. */
export async function waitForTableStatus(
  client: DynamoDBClient,
  tableName: string,
  status: string,
): Promise<void> {
  const deadline = Date.now() + TABLE_WAIT_TIMEOUT_MS;
  let lastStatus = "unknown";
  while (Date.now() < deadline) {
    try {
      const description = await client.send(new DescribeTableCommand({ TableName: tableName }));
      lastStatus = description.Table?.TableStatus ?? "missing";
      if (lastStatus === status) return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      lastStatus = "GONE";
      if (status === "GONE") return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `table ${tableName} did not reach ${status} within ${TABLE_WAIT_TIMEOUT_MS} ms (last: ${lastStatus})`,
  );
}

/** Expected name, status and message of a rejected SDK call. */
export interface ExpectedError {
  /** SDK error class name, which is the type after `#` in `__type`. */
  name: string;
  /** HTTP status; 400 unless given. */
  status?: number;
  /** Exact message, or a pattern for messages that embed request details. */
  message?: string | RegExp;
}

/** Metadata the SDK attaches to a service error. */
interface ServiceErrorFields {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Awaits `operation`, asserts that it fails with the expected name, HTTP status and message, and
 * returns the error for further checks.
 */
export async function expectServiceError(
  operation: Promise<unknown>,
  expected: ExpectedError,
): Promise<ServiceErrorFields & Record<string, unknown>> {
  let caught: unknown;
  try {
    await operation;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `expected ${expected.name}, but the request succeeded`);
  const error = caught as Error & ServiceErrorFields & Record<string, unknown>;
  assert.equal(error.name, expected.name, `error name (message: ${error.message})`);
  assert.equal(error.$metadata?.httpStatusCode, expected.status ?? 400, "HTTP status code");
  if (typeof expected.message === "string") {
    assert.equal(error.message, expected.message);
  } else if (expected.message instanceof RegExp) {
    assert.match(error.message, expected.message);
  }
  return error;
}

/** Returns `size` bytes of printable ASCII text, cheaper to compare than random data. */
export function asciiText(size: number, seed = 0): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let text = "";
  const chunk = Array.from({ length: 1024 }, (_, index) => alphabet[(index + seed) % 36]).join("");
  while (text.length + chunk.length <= size) text += chunk;
  return text + chunk.slice(0, size - text.length);
}
