/**
 * Durability across a clean restart: tables, items, deletions and counters written through the
 * AWS SDK are all there after SIGTERM and a new process on the same data directory.
 *
 * Method: the test owns its server process (it must restart it), writes through the SDK, stops the
 * server with SIGTERM (which must exit with code 0), restarts it on the same data directory and
 * reads everything back with new clients, since the port changes.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  type Clients,
  createClients,
  createTableAndWait,
  deleteTableAndWait,
  singleTableDefinition,
  uniqueTableName,
} from "./sdk_support.ts";
import { ServerProcess } from "./server_process.ts";

Deno.test("data persists across a clean restart", async () => {
  const server = await ServerProcess.start();
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

    await clients.documentClient.send(
      new PutCommand({ TableName, Item: { PK: "USER#123", SK: "AFTER_RESTART" } }),
    );
  } finally {
    clients.destroy();
    await server.close();
  }
});
