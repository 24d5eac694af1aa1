/**
 * AWS SDK v3 against a real Strata process: local and global secondary indexes, including a
 * global index added to a populated table with UpdateTable.
 *
 * Method: one server per file; every expectation is computed from the items the test wrote, so
 * a missing or stale index entry shows up as a difference.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DescribeTableCommand,
  QueryCommand,
  ScanCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  createClients,
  createTableAndWait,
  expectServiceError,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

interface Order {
  PK: string;
  SK: string;
  status: string;
  total: number;
  placedAt: string;
}

/** Orders by `placedAt`, ISO dates in ASCII, so code unit order is date order. */
function byPlacedAt(a: Order, b: Order): number {
  if (a.placedAt === b.placedAt) return 0;
  return a.placedAt < b.placedAt ? -1 : 1;
}

function orders(): Order[] {
  const statuses = ["OPEN", "SHIPPED", "CANCELLED"];
  return Array.from({ length: 30 }, (_, index) => ({
    PK: `USER#${index % 3}`,
    SK: `ORDER#${String(index).padStart(3, "0")}`,
    status: statuses[index % statuses.length]!,
    total: (index * 7) % 50,
    placedAt: `2024-01-${String((index % 28) + 1).padStart(2, "0")}`,
  }));
}

Deno.test("secondary indexes through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("indexes");

  try {
    await createTableAndWait(client, {
      TableName,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "SK", AttributeType: "S" },
        { AttributeName: "status", AttributeType: "S" },
        { AttributeName: "total", AttributeType: "N" },
        { AttributeName: "placedAt", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      LocalSecondaryIndexes: [{
        IndexName: "byTotal",
        KeySchema: [
          { AttributeName: "PK", KeyType: "HASH" },
          { AttributeName: "total", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
      }],
      GlobalSecondaryIndexes: [{
        IndexName: "byStatus",
        KeySchema: [
          { AttributeName: "status", KeyType: "HASH" },
          { AttributeName: "placedAt", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["total"] },
      }],
      BillingMode: "PAY_PER_REQUEST",
    });
    const items = orders();
    for (const item of items) await documentClient.send(new PutCommand({ TableName, Item: item }));

    await t.step("global index query returns projected items in index order", async () => {
      const result = await client.send(
        new QueryCommand({
          TableName,
          IndexName: "byStatus",
          KeyConditionExpression: "#s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": { S: "SHIPPED" } },
        }),
      );
      const expected = items.filter((item) => item.status === "SHIPPED")
        .sort(byPlacedAt);
      assert.equal(result.Count, expected.length);
      const placed = result.Items!.map((item) => item.placedAt!.S);
      assert.deepEqual(placed, expected.map((item) => item.placedAt));
      for (const item of result.Items!) {
        assert.deepEqual(Object.keys(item).sort(), ["PK", "SK", "placedAt", "status", "total"]);
      }
    });

    await t.step("local index query orders by the index sort key", async () => {
      const result = await client.send(
        new QueryCommand({
          TableName,
          IndexName: "byTotal",
          KeyConditionExpression: "PK = :pk AND #t >= :min",
          ExpressionAttributeNames: { "#t": "total" },
          ExpressionAttributeValues: { ":pk": { S: "USER#1" }, ":min": { N: "10" } },
          ScanIndexForward: false,
        }),
      );
      const expected = items.filter((item) => item.PK === "USER#1" && item.total >= 10)
        .map((item) => item.total).sort((a, b) => b - a);
      assert.deepEqual(result.Items!.map((item) => Number(item.total!.N)), expected);
    });

    await t.step("local index fetches non-projected attributes on request", async () => {
      const result = await client.send(
        new QueryCommand({
          TableName,
          IndexName: "byTotal",
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": { S: "USER#2" } },
          Select: "ALL_ATTRIBUTES",
        }),
      );
      assert.equal(result.Count, 10);
      for (const item of result.Items!) assert.ok(item.placedAt !== undefined);
    });

    await t.step("index entries follow updates and deletes", async () => {
      const moved = items[0]!;
      await documentClient.send(
        new UpdateCommand({
          TableName,
          Key: { PK: moved.PK, SK: moved.SK },
          UpdateExpression: "SET #s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": "RETURNED" },
        }),
      );
      const deleted = items[1]!;
      await documentClient.send(
        new DeleteCommand({ TableName, Key: { PK: deleted.PK, SK: deleted.SK } }),
      );

      const returned = await client.send(
        new QueryCommand({
          TableName,
          IndexName: "byStatus",
          KeyConditionExpression: "#s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": { S: "RETURNED" } },
        }),
      );
      assert.deepEqual(returned.Items!.map((item) => item.SK!.S), [moved.SK]);
      const scan = await client.send(new ScanCommand({ TableName, IndexName: "byStatus" }));
      assert.equal(scan.Count, items.length - 1);
    });

    await t.step("consistent read on a global index is rejected", async () => {
      await expectServiceError(
        client.send(
          new QueryCommand({
            TableName,
            IndexName: "byStatus",
            KeyConditionExpression: "#s = :s",
            ExpressionAttributeNames: { "#s": "status" },
            ExpressionAttributeValues: { ":s": { S: "OPEN" } },
            ConsistentRead: true,
          }),
        ),
        {
          name: "ValidationException",
          message: "Consistent reads are not supported on global secondary indexes",
        },
      );
    });

    await t.step("unknown index is rejected", async () => {
      await expectServiceError(
        client.send(
          new QueryCommand({
            TableName,
            IndexName: "missing",
            KeyConditionExpression: "PK = :pk",
            ExpressionAttributeValues: { ":pk": { S: "USER#1" } },
          }),
        ),
        {
          name: "ValidationException",
          message: "The table does not have the specified index: missing",
        },
      );
    });

    await t.step("UpdateTable adds a global index and backfills it", async () => {
      await client.send(
        new UpdateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: "placedAt", AttributeType: "S" }],
          GlobalSecondaryIndexUpdates: [{
            Create: {
              IndexName: "byDate",
              KeySchema: [{ AttributeName: "placedAt", KeyType: "HASH" }],
              Projection: { ProjectionType: "ALL" },
            },
          }],
        }),
      );
      const deadline = Date.now() + 20_000;
      for (;;) {
        const description = await client.send(new DescribeTableCommand({ TableName }));
        const index = description.Table!.GlobalSecondaryIndexes!.find((candidate) =>
          candidate.IndexName === "byDate"
        );
        if (index?.IndexStatus === "ACTIVE") break;
        assert.ok(Date.now() < deadline, "backfill did not finish");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const result = await client.send(
        new QueryCommand({
          TableName,
          IndexName: "byDate",
          KeyConditionExpression: "placedAt = :d",
          ExpressionAttributeValues: { ":d": { S: "2024-01-03" } },
        }),
      );
      const expected = items.slice(2).filter((item) => item.placedAt === "2024-01-03");
      assert.equal(result.Count, expected.length);
      assert.ok(expected.length > 0);
    });
  } finally {
    destroy();
    await target.close();
  }
});
