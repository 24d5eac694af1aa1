/**
 * AWS SDK v3 against a real Strata process: BatchWriteItem and BatchGetItem.
 *
 * Method: one server per file. Batch sizes sit on DynamoDB's limits (25 writes, 100 keys) and one
 * past them; the UnprocessedKeys case reads about 21 MB of items, more than the 16 MB a single
 * BatchGetItem response may carry, and loops on UnprocessedKeys as the SDK documentation tells
 * callers to. A rejected batch must leave the table unchanged.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type KeysAndAttributes,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import {
  asciiText,
  createClients,
  createTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

/** Upper bound on BatchGetItem rounds while draining UnprocessedKeys. */
const BATCH_GET_ROUND_MAX = 50;

function orderKey(
  userId: string,
  index: number,
): { PK: AttributeValue.SMember; SK: AttributeValue.SMember } {
  return {
    PK: { S: `USER#${userId}` },
    SK: { S: `ORDER#2024-01-${String(index).padStart(3, "0")}` },
  };
}

function putRequest(item: Record<string, AttributeValue>): WriteRequest {
  return { PutRequest: { Item: item } };
}

Deno.test("batch operations through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("batch");
  const OtherTableName = uniqueTableName("batch_other");

  /** Issues BatchGetItem until UnprocessedKeys is empty; returns items and the round count. */
  async function batchGetAll(
    requestItems: Record<string, KeysAndAttributes>,
  ): Promise<{ items: Record<string, AttributeValue>[]; roundCount: number }> {
    const items: Record<string, AttributeValue>[] = [];
    let pending: Record<string, KeysAndAttributes> | undefined = requestItems;
    let roundCount = 0;
    while (pending !== undefined && Object.keys(pending).length > 0) {
      roundCount += 1;
      assert.ok(roundCount <= BATCH_GET_ROUND_MAX, "UnprocessedKeys never drained");
      const result: BatchGetItemCommandOutput = await client.send(
        new BatchGetItemCommand({ RequestItems: pending }),
      );
      for (const tableItems of Object.values(result.Responses ?? {})) items.push(...tableItems);
      pending = result.UnprocessedKeys;
    }
    return { items, roundCount };
  }

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));
    await createTableAndWait(client, singleTableDefinition(OtherTableName));

    await t.step("BatchWriteItem: 25 puts are all written", async () => {
      const requests = Array.from(
        { length: 25 },
        (_, index) =>
          putRequest({ ...orderKey("600", index), totalCents: { N: String(index * 100) } }),
      );
      const result = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }),
      );
      assert.deepEqual(result.UnprocessedItems, {});

      const keys = Array.from({ length: 25 }, (_, index) => orderKey("600", index));
      const { items } = await batchGetAll({ [TableName]: { Keys: keys, ConsistentRead: true } });
      assert.equal(items.length, 25);
      const totals = items.map((item) => Number(item.totalCents?.N)).sort((a, b) => a - b);
      assert.deepEqual(totals, Array.from({ length: 25 }, (_, index) => index * 100));
    });

    await t.step("BatchWriteItem: 26 requests are rejected", async () => {
      const requests = Array.from({ length: 26 }, (_, index) => putRequest(orderKey("601", index)));
      await expectServiceError(
        client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } })),
        {
          name: "ValidationException",
          message: new RegExp(
            "^1 validation error detected: Value '.*' at 'requestItems' failed to satisfy " +
              "constraint: Map value must satisfy constraint: \\[Member must have length less " +
              "than or equal to 25, Member must have length greater than or equal to 1\\]$",
            "s",
          ),
        },
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#601", SK: "ORDER#2024-01-000" } }),
      );
      assert.equal(stored.Item, undefined, "a rejected batch must write nothing");
    });

    await t.step("BatchWriteItem: puts and deletes across two tables", async () => {
      await client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: [putRequest(orderKey("602", 1))] },
        }),
      );
      const result = await client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TableName]: [
              { DeleteRequest: { Key: orderKey("602", 1) } },
              putRequest(orderKey("602", 2)),
            ],
            [OtherTableName]: [putRequest(orderKey("602", 3))],
          },
        }),
      );
      assert.deepEqual(result.UnprocessedItems, {});
      const { items } = await batchGetAll({
        [TableName]: { Keys: [orderKey("602", 1), orderKey("602", 2)] },
        [OtherTableName]: { Keys: [orderKey("602", 3)] },
      });
      const sortKeys = items.map((item) => item.SK?.S).sort();
      assert.deepEqual(sortKeys, ["ORDER#2024-01-002", "ORDER#2024-01-003"]);
    });

    await t.step("BatchWriteItem: duplicate keys are rejected", async () => {
      const cases: [string, WriteRequest[]][] = [
        ["two puts", [putRequest(orderKey("603", 1)), putRequest(orderKey("603", 1))]],
        ["put and delete", [
          putRequest(orderKey("603", 1)),
          { DeleteRequest: { Key: orderKey("603", 1) } },
        ]],
      ];
      for (const [caseName, requests] of cases) {
        await expectServiceError(
          client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } })),
          {
            name: "ValidationException",
            message: "Provided list of item keys contains duplicates",
          },
        );
        const stored = await documentClient.send(
          new GetCommand({ TableName, Key: { PK: "USER#603", SK: "ORDER#2024-01-001" } }),
        );
        assert.equal(stored.Item, undefined, `${caseName}: a rejected batch must write nothing`);
      }
    });

    await t.step("BatchWriteItem: an oversized item rejects the whole batch", async () => {
      const requests = [
        putRequest(orderKey("604", 1)),
        putRequest({ ...orderKey("604", 2), data: { S: asciiText(410 * 1024) } }),
      ];
      await expectServiceError(
        client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } })),
        { name: "ValidationException", message: "Item size has exceeded the maximum allowed size" },
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#604", SK: "ORDER#2024-01-001" } }),
      );
      assert.equal(stored.Item, undefined, "a rejected batch must write nothing");
    });

    await t.step("BatchWriteItem: missing table is ResourceNotFoundException", async () => {
      await expectServiceError(
        client.send(
          new BatchWriteItemCommand({
            RequestItems: { [uniqueTableName("missing")]: [putRequest(orderKey("605", 1))] },
          }),
        ),
        { name: "ResourceNotFoundException", message: "Requested resource not found" },
      );
    });

    await t.step("BatchGetItem: duplicate keys are rejected", async () => {
      await expectServiceError(
        client.send(
          new BatchGetItemCommand({
            RequestItems: { [TableName]: { Keys: [orderKey("600", 1), orderKey("600", 1)] } },
          }),
        ),
        { name: "ValidationException", message: "Provided list of item keys contains duplicates" },
      );
    });

    await t.step("BatchGetItem: more than 100 keys are rejected", async () => {
      const keys = (count: number, userId: string) =>
        Array.from({ length: count }, (_, index) => orderKey(userId, index));
      await expectServiceError(
        client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [TableName]: { Keys: keys(60, "606") },
              [OtherTableName]: { Keys: keys(41, "606") },
            },
          }),
        ),
        {
          name: "ValidationException",
          message: "Too many items requested for the BatchGetItem call",
        },
      );
      await expectServiceError(
        client.send(
          new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: keys(101, "606") } } }),
        ),
        {
          name: "ValidationException",
          message: /Member must have length less than or equal to 100/,
        },
      );
    });

    await t.step("BatchGetItem: missing keys are simply absent", async () => {
      const { items } = await batchGetAll({
        [TableName]: { Keys: [orderKey("600", 3), orderKey("607", 1)] },
      });
      assert.equal(items.length, 1);
      assert.equal(items[0]?.SK?.S, "ORDER#2024-01-003");
    });

    await t.step("BatchGetItem: ProjectionExpression limits attributes", async () => {
      const result = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [TableName]: { Keys: [orderKey("600", 4)], ProjectionExpression: "totalCents" },
          },
        }),
      );
      assert.deepEqual(result.Responses?.[TableName], [{ totalCents: { N: "400" } }]);
    });

    await t.step("BatchGetItem: responses over 16 MB return UnprocessedKeys", async () => {
      const itemCount = 60;
      const payloadBytes = 350 * 1024;
      const items = Array.from({ length: itemCount }, (_, index) => ({
        ...orderKey("608", index),
        data: { S: asciiText(payloadBytes, index) },
      }));
      for (let start = 0; start < itemCount; start += 25) {
        const requests = items.slice(start, start + 25).map(putRequest);
        const result = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }),
        );
        assert.deepEqual(result.UnprocessedItems, {});
      }

      const keys = items.map((item) => ({ PK: item.PK, SK: item.SK }));
      const first = await client.send(
        new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: keys } } }),
      );
      const firstCount = first.Responses?.[TableName]?.length ?? 0;
      const unprocessedCount = first.UnprocessedKeys?.[TableName]?.Keys?.length ?? 0;
      assert.ok(unprocessedCount > 0, "about 21 MB of items cannot fit one 16 MB response");
      assert.equal(firstCount + unprocessedCount, itemCount);
      assert.ok(firstCount * payloadBytes <= 16 * 1024 * 1024, `first response had ${firstCount}`);

      const { items: fetched, roundCount } = await batchGetAll({ [TableName]: { Keys: keys } });
      assert.ok(roundCount >= 2, `expected several rounds, got ${roundCount}`);
      const sortKeys = fetched.map((item) => item.SK?.S).sort();
      assert.deepEqual(sortKeys, keys.map((key) => key.SK.S).sort());
      for (const item of fetched) {
        const index = Number(item.SK?.S?.slice(-3));
        assert.equal(item.data?.S, asciiText(payloadBytes, index), `payload of item ${index}`);
      }
    });
  } finally {
    destroy();
    await target.close();
  }
});
