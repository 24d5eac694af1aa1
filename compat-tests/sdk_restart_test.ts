/**
 * Durability across a clean restart: tables, items, deletions and counters written through the
 * AWS SDK are all there after SIGTERM and a new process on the same data directory.
 *
 * Method: the test owns its server process (it must restart it), writes through the SDK, stops the
 * server with SIGTERM (which must exit with code 0), restarts it on the same data directory and
 * reads everything back with new clients, since the port changes. The server runs with a 1 MiB
 * memtable, so part of the data is in SSTables and part in the WAL when it stops.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  asciiText,
  type Clients,
  createClients,
  createTableAndWait,
  deleteTableAndWait,
  singleTableDefinition,
  uniqueTableName,
} from "./sdk_support.ts";
import { ServerProcess } from "./server_process.ts";

function bulkSortKey(index: number): string {
  return `B#${String(index).padStart(3, "0")}`;
}

Deno.test("data persists across a clean restart", async () => {
  // A 1 MiB memtable makes the bulk writes below flush to SSTables before the restart.
  const server = await ServerProcess.start({ extraArgs: ["--memtable-mb", "1"] });
  let clients: Clients = createClients(server.endpoint);
  const TableName = uniqueTableName("restart");
  const DroppedTableName = uniqueTableName("restart_dropped");
  const profile: Record<string, AttributeValue> = {
    PK: { S: "USER#123" },
    SK: { S: "PROFILE" },
    name: { S: "Ada" },
    balance: { N: "12345678901234567890123456789012345678" },
    avatar: { B: new Uint8Array([1, 2, 3]) },
    tags: { SS: ["admin"] },
    address: { M: { city: { S: "Oslo" }, lines: { L: [{ S: "Main St 1" }] } } },
  };

  try {
    await createTableAndWait(clients.client, singleTableDefinition(TableName));
    await createTableAndWait(clients.client, singleTableDefinition(DroppedTableName));
    await deleteTableAndWait(clients.client, DroppedTableName);

    await clients.client.send(new PutItemCommand({ TableName, Item: profile }));
    for (const date of ["2024-01-15", "2024-02-03", "2024-03-20"]) {
      await clients.documentClient.send(
        new PutCommand({ TableName, Item: { PK: "USER#123", SK: `ORDER#${date}`, date } }),
      );
    }
    await clients.documentClient.send(
      new PutCommand({ TableName, Item: { PK: "USER#123", SK: "ORDER#2024-04-01" } }),
    );
    await clients.documentClient.send(
      new DeleteCommand({ TableName, Key: { PK: "USER#123", SK: "ORDER#2024-04-01" } }),
    );
    for (let index = 0; index < 5; index += 1) {
      await clients.documentClient.send(
        new UpdateCommand({
          TableName,
          Key: { PK: "USER#123", SK: "COUNTER#visits" },
          UpdateExpression: "ADD visits :one",
          ExpressionAttributeValues: { ":one": 1 },
        }),
      );
    }

    // About 3.6 MB of items, then overwrites and deletes of some of them, so the restart must merge
    // SSTables, newer memtable entries and tombstones.
    const bulkCount = 120;
    for (let start = 0; start < bulkCount; start += 25) {
      const requests = [];
      for (let index = start; index < Math.min(bulkCount, start + 25); index += 1) {
        requests.push({
          PutRequest: {
            Item: {
              PK: { S: "BULK" },
              SK: { S: bulkSortKey(index) },
              version: { N: "1" },
              payload: { S: asciiText(30 * 1024, index) },
            },
          },
        });
      }
      await clients.client.send(
        new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }),
      );
    }
    for (let index = 0; index < 10; index += 1) {
      await clients.documentClient.send(
        new PutCommand({ TableName, Item: { PK: "BULK", SK: bulkSortKey(index), version: 2 } }),
      );
    }
    for (let index = 10; index < 20; index += 1) {
      await clients.documentClient.send(
        new DeleteCommand({ TableName, Key: { PK: "BULK", SK: bulkSortKey(index) } }),
      );
    }

    clients.destroy();
    await server.restart();
    clients = createClients(server.endpoint);

    const tables = await clients.client.send(new ListTablesCommand({}));
    assert.ok(tables.TableNames?.includes(TableName), "table survives the restart");
    assert.ok(!tables.TableNames?.includes(DroppedTableName), "deleted table stays deleted");
    const described = await clients.client.send(new DescribeTableCommand({ TableName }));
    assert.equal(described.Table?.TableStatus, "ACTIVE");
    assert.deepEqual(described.Table?.KeySchema, [
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ]);

    const storedProfile = await clients.client.send(
      new GetItemCommand({
        TableName,
        Key: { PK: profile.PK!, SK: profile.SK! },
        ConsistentRead: true,
      }),
    );
    assert.deepEqual(storedProfile.Item, profile);

    const orders = await clients.client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues: { ":pk": { S: "USER#123" }, ":prefix": { S: "ORDER#" } },
      }),
    );
    assert.deepEqual(
      (orders.Items ?? []).map((item) => item.SK?.S),
      ["ORDER#2024-01-15", "ORDER#2024-02-03", "ORDER#2024-03-20"],
    );

    const counter = await clients.client.send(
      new GetItemCommand({
        TableName,
        Key: { PK: { S: "USER#123" }, SK: { S: "COUNTER#visits" } },
        ConsistentRead: true,
      }),
    );
    assert.equal(counter.Item?.visits?.N, "5");

    const bulkItems: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let pageIndex = 0; pageIndex < 50; pageIndex += 1) {
      const page: QueryCommandOutput = await clients.client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": { S: "BULK" } },
          ExclusiveStartKey: startKey,
        }),
      );
      bulkItems.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    const expectedSortKeys = Array.from({ length: bulkCount }, (_, index) => index)
      .filter((index) => index < 10 || index >= 20)
      .map(bulkSortKey);
    assert.deepEqual(bulkItems.map((item) => item.SK?.S), expectedSortKeys);
    for (const item of bulkItems) {
      const index = Number(item.SK?.S?.slice(2));
      if (index < 10) {
        assert.equal(item.version?.N, "2", `overwritten item ${index}`);
        assert.equal(item.payload, undefined, `overwritten item ${index} has no payload`);
      } else {
        assert.equal(item.payload?.S, asciiText(30 * 1024, index), `payload of item ${index}`);
      }
    }

    await clients.documentClient.send(
      new PutCommand({ TableName, Item: { PK: "USER#123", SK: "AFTER_RESTART" } }),
    );
  } finally {
    clients.destroy();
    await server.close();
  }
});
