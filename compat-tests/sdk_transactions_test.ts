/**
 * AWS SDK v3 against a real Strata process: TransactWriteItems, TransactGetItems, time to live
 * settings and table tags.
 *
 * Method: one server per file. A cancelled transaction is checked by reading back every item it
 * named, so a partial write shows up even when the error looks right.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BatchWriteItemCommand,
  DescribeTimeToLiveCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UntagResourceCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  createClients,
  createTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

Deno.test("transactions, TTL and tags through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("transactions");

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));
    await documentClient.send(
      new PutCommand({ TableName, Item: { PK: "ACCOUNT#a", SK: "BALANCE", amount: 100 } }),
    );
    await documentClient.send(
      new PutCommand({ TableName, Item: { PK: "ACCOUNT#b", SK: "BALANCE", amount: 5 } }),
    );

    const transfer = (amount: number, token?: string) =>
      client.send(
        new TransactWriteItemsCommand({
          ClientRequestToken: token,
          TransactItems: [
            {
              Update: {
                TableName,
                Key: { PK: { S: "ACCOUNT#a" }, SK: { S: "BALANCE" } },
                UpdateExpression: "SET amount = amount - :x",
                ConditionExpression: "amount >= :x",
                ExpressionAttributeValues: { ":x": { N: String(amount) } },
              },
            },
            {
              Update: {
                TableName,
                Key: { PK: { S: "ACCOUNT#b" }, SK: { S: "BALANCE" } },
                UpdateExpression: "SET amount = amount + :x",
                ExpressionAttributeValues: { ":x": { N: String(amount) } },
              },
            },
            {
              Put: {
                TableName,
                Item: { PK: { S: "TRANSFER#" + (token ?? amount) }, SK: { S: "LOG" } },
                ConditionExpression: "attribute_not_exists(PK)",
              },
            },
          ],
        }),
      );
    const balance = async (account: string) => {
      const result = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: `ACCOUNT#${account}`, SK: "BALANCE" } }),
      );
      return result.Item?.amount as number;
    };

    await t.step("TransactWriteItems applies every action", async () => {
      await transfer(30);
      assert.equal(await balance("a"), 70);
      assert.equal(await balance("b"), 35);
    });

    await t.step("failed condition cancels every action", async () => {
      const error = await expectServiceError(transfer(500), {
        name: "TransactionCanceledException",
        message:
          "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]",
      });
      const reasons = error.CancellationReasons as Array<{ Code: string }>;
      assert.deepEqual(reasons.map((reason) => reason.Code), [
        "ConditionalCheckFailed",
        "None",
        "None",
      ]);
      assert.equal(await balance("a"), 70);
      assert.equal(await balance("b"), 35);
      const log = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "TRANSFER#500", SK: "LOG" } }),
      );
      assert.equal(log.Item, undefined);
    });

    await t.step("ClientRequestToken makes a retry idempotent", async () => {
      await transfer(10, "token-1");
      await transfer(10, "token-1");
      assert.equal(await balance("a"), 60);
      await expectServiceError(transfer(11, "token-1"), {
        name: "IdempotentParameterMismatchException",
      });
    });

    await t.step("two actions on one item are rejected", async () => {
      const key = { PK: { S: "ACCOUNT#a" }, SK: { S: "BALANCE" } };
      await expectServiceError(
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName,
                  Key: key,
                  ConditionExpression: "attribute_exists(PK)",
                },
              },
              { Delete: { TableName, Key: key } },
            ],
          }),
        ),
        {
          name: "ValidationException",
          message: "Transaction request cannot include multiple operations on one item",
        },
      );
    });

    await t.step("TransactGetItems reads items in request order", async () => {
      const result = await client.send(
        new TransactGetItemsCommand({
          TransactItems: [
            { Get: { TableName, Key: { PK: { S: "ACCOUNT#b" }, SK: { S: "BALANCE" } } } },
            { Get: { TableName, Key: { PK: { S: "ACCOUNT#zzz" }, SK: { S: "BALANCE" } } } },
            {
              Get: {
                TableName,
                Key: { PK: { S: "ACCOUNT#a" }, SK: { S: "BALANCE" } },
                ProjectionExpression: "amount",
              },
            },
          ],
        }),
      );
      const responses = result.Responses!;
      assert.equal(responses.length, 3);
      assert.equal(responses[0]!.Item?.amount?.N, "45");
      assert.equal(responses[1]!.Item, undefined);
      assert.deepEqual(responses[2]!.Item, { amount: { N: "60" } });
    });

    await t.step("BatchWriteItem reports capacity only on request", async () => {
      const put = (sk: string) => ({
        PutRequest: { Item: { PK: { S: "BATCH" }, SK: { S: sk }, body: { S: "x".repeat(1500) } } },
      });
      const reported = await client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: [put("1"), put("2")] },
          ReturnConsumedCapacity: "TOTAL",
        }),
      );
      // Each item is about 1.5 KB, so each write costs 2 units.
      assert.deepEqual(reported.ConsumedCapacity, [
        { TableName, CapacityUnits: 4, WriteCapacityUnits: 4 },
      ]);
      const silent = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [TableName]: [put("3")] } }),
      );
      assert.equal(silent.ConsumedCapacity, undefined);
    });

    await t.step("time to live can be enabled and described", async () => {
      const before = await client.send(new DescribeTimeToLiveCommand({ TableName }));
      assert.equal(before.TimeToLiveDescription?.TimeToLiveStatus, "DISABLED");
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" },
        }),
      );
      const after = await client.send(new DescribeTimeToLiveCommand({ TableName }));
      assert.equal(after.TimeToLiveDescription?.TimeToLiveStatus, "ENABLED");
      assert.equal(after.TimeToLiveDescription?.AttributeName, "expiresAt");
    });

    await t.step("tags can be added, listed and removed", async () => {
      const ResourceArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${TableName}`;
      await client.send(
        new TagResourceCommand({
          ResourceArn,
          Tags: [{ Key: "team", Value: "storage" }, { Key: "env", Value: "test" }],
        }),
      );
      await client.send(new UntagResourceCommand({ ResourceArn, TagKeys: ["env"] }));
      const tags = await client.send(new ListTagsOfResourceCommand({ ResourceArn }));
      assert.deepEqual(tags.Tags, [{ Key: "team", Value: "storage" }]);
    });
  } finally {
    destroy();
    await target.close();
  }
});
