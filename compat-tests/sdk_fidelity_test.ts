/**
 * AWS SDK v3 and raw HTTP against a real Strata process: DynamoDB rules that a user-level review
 * found missing, each checked with DynamoDB's exact error.
 *
 * Method: one server per file; every rejected request is followed by a read that shows nothing was
 * stored.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  createClients,
  createTableAndWait,
  expectServiceError,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

Deno.test("DynamoDB rules found by review", async (t) => {
  const target = await startTarget();
  const { client, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("fidelity");

  try {
    await createTableAndWait(client, {
      TableName,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
        { AttributeName: "g", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [{
        IndexName: "byG",
        KeySchema: [{ AttributeName: "g", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
      }],
      BillingMode: "PAY_PER_REQUEST",
    });
    for (let sk = 1; sk <= 5; sk++) {
      await client.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: "Q" }, sk: { N: String(sk) }, g: { S: "G" } },
        }),
      );
    }
    const query = (extra: Record<string, unknown>) =>
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :p AND sk > :z",
          ExpressionAttributeValues: { ":p": { S: "Q" }, ":z": { N: "1" } },
          ...extra,
        }),
      );

    await t.step("Query rejects a start key from another partition", async () => {
      await expectServiceError(
        query({ ExclusiveStartKey: { pk: { S: "P" }, sk: { N: "3" } } }),
        {
          name: "ValidationException",
          message:
            "The provided starting key is outside query boundaries based on provided conditions",
        },
      );
    });

    await t.step("Query rejects a start key outside the sort key condition", async () => {
      await expectServiceError(
        query({ ExclusiveStartKey: { pk: { S: "Q" }, sk: { N: "-20" } } }),
        {
          name: "ValidationException",
          message: "The provided starting key does not match the range key predicate",
        },
      );
    });

    await t.step("Query on a full primary key cannot be restarted", async () => {
      const single = {
        TableName,
        KeyConditionExpression: "pk = :p AND sk = :s",
        ExpressionAttributeValues: { ":p": { S: "Q" }, ":s": { N: "2" } },
      };
      const page = await client.send(new QueryCommand({ ...single, Limit: 1 }));
      assert.equal(page.Count, 1);
      assert.equal(page.LastEvaluatedKey, undefined);
      await expectServiceError(
        client.send(
          new QueryCommand({ ...single, ExclusiveStartKey: { pk: { S: "Q" }, sk: { N: "2" } } }),
        ),
        {
          name: "ValidationException",
          message: "The query can return at most one row and cannot be restarted",
        },
      );
    });

    await t.step("Query accepts a start key inside the condition", async () => {
      const page = await query({ ExclusiveStartKey: { pk: { S: "Q" }, sk: { N: "3" } } });
      assert.deepEqual(page.Items!.map((item) => item.sk!.N), ["4", "5"]);
    });

    await t.step("UpdateItem cannot nest values deeper than 32 levels", async () => {
      let deep: Record<string, unknown> = { S: "leaf" };
      for (let level = 1; level < 32; level++) deep = { L: [deep] };
      const key = { pk: { S: "deep" }, sk: { N: "1" } };
      await client.send(
        new PutItemCommand({ TableName, Item: { ...key, x: deep as never } }),
      );
      const path = "x" + "[0]".repeat(30);
      await expectServiceError(
        client.send(
          new UpdateItemCommand({
            TableName,
            Key: key,
            UpdateExpression: `SET ${path} = :v`,
            ExpressionAttributeValues: { ":v": { L: [{ L: [{ S: "y" }] }] } },
          }),
        ),
        { name: "ValidationException", message: /^Nesting Levels have exceeded supported limits/ },
      );
      const stored = await client.send(new GetItemCommand({ TableName, Key: key }));
      assert.deepEqual(stored.Item?.x, deep);
    });

    await t.step("global index key over 2048 bytes is rejected", async () => {
      const key = { pk: { S: "long" }, sk: { N: "1" } };
      await expectServiceError(
        client.send(
          new PutItemCommand({ TableName, Item: { ...key, g: { S: "a".repeat(2049) } } }),
        ),
        { name: "ValidationException", message: /Size of hashkey has exceeded/ },
      );
      const stored = await client.send(new GetItemCommand({ TableName, Key: key }));
      assert.equal(stored.Item, undefined);
    });

    await t.step("a table ARN works as TableName", async () => {
      const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${TableName}`;
      const described = await client.send(new DescribeTableCommand({ TableName: arn }));
      assert.equal(described.Table?.TableName, TableName);
      const item = await client.send(
        new GetItemCommand({ TableName: arn, Key: { pk: { S: "Q" }, sk: { N: "1" } } }),
      );
      assert.equal(item.Item?.g?.S, "G");
    });

    await t.step("INCLUDE projection needs NonKeyAttributes", async () => {
      await expectServiceError(
        client.send(
          new CreateTableCommand({
            TableName: uniqueTableName("include"),
            AttributeDefinitions: [
              { AttributeName: "pk", AttributeType: "S" },
              { AttributeName: "g", AttributeType: "S" },
            ],
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            GlobalSecondaryIndexes: [{
              IndexName: "byG",
              KeySchema: [{ AttributeName: "g", KeyType: "HASH" }],
              Projection: { ProjectionType: "INCLUDE" },
            }],
            BillingMode: "PAY_PER_REQUEST",
          }),
        ),
        {
          name: "ValidationException",
          message:
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        },
      );
    });

    await t.step("enabling streams is rejected, not ignored", async () => {
      await expectServiceError(
        client.send(
          new CreateTableCommand({
            TableName: uniqueTableName("streams"),
            AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
            StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
          }),
        ),
        { name: "ValidationException", message: /Streams are not supported/ },
      );
    });

    await t.step("invalid UTF-8 in the body is a SerializationException", async () => {
      const prefix = new TextEncoder().encode(
        `{"TableName":"${TableName}","Item":{"pk":{"S":"`,
      );
      const suffix = new TextEncoder().encode(`"},"sk":{"N":"9"}}}`);
      const body = new Uint8Array([...prefix, 0xff, 0xfe, ...suffix]);
      const response = await fetch(target.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": "DynamoDB_20120810.PutItem",
          authorization: "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request",
        },
        body,
      });
      const parsed = await response.json();
      assert.equal(response.status, 400);
      assert.equal(parsed.__type, "com.amazon.coral.service#SerializationException");
    });
  } finally {
    destroy();
    await target.close();
  }
});
