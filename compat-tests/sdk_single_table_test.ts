/**
 * AWS SDK v3 against a real Strata process: a single-table design with users, their profile and
 * their orders (`PK=USER#123`, `SK=PROFILE` or `SK=ORDER#<date>`).
 *
 * Method: one server and one table per file; each step writes its own partition keys, so steps do
 * not depend on one another's data. Expectations are DynamoDB's documented behaviour: sort key
 * order, page boundaries, condition failures with their exact message, and atomic counters checked
 * by the set of values the concurrent updates returned.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type AttributeValue, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  asciiText,
  createClients,
  createTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

const ORDER_DATES = [
  "2023-12-30",
  "2024-01-15",
  "2024-01-31",
  "2024-02-03",
  "2024-02-29",
  "2024-03-20",
  "2024-04-01",
  "2024-05-05",
  "2024-06-30",
  "2024-07-14",
];

Deno.test("single-table design through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("single");

  /** Runs a Query through every page and returns the pages. */
  async function queryPages(input: QueryCommandInput): Promise<Record<string, unknown>[][]> {
    const pages: Record<string, unknown>[][] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let pageIndex = 0; pageIndex < 100; pageIndex += 1) {
      const page = await documentClient.send(
        new QueryCommand({ ...input, ExclusiveStartKey: startKey }),
      );
      pages.push(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) return pages;
    }
    throw new Error("Query returned more than 100 pages");
  }

  async function putUserWithOrders(userId: string): Promise<void> {
    const PK = `USER#${userId}`;
    await documentClient.send(
      new PutCommand({ TableName, Item: { PK, SK: "PROFILE", name: "Ada", plan: "pro" } }),
    );
    await Promise.all(ORDER_DATES.map((date, index) =>
      documentClient.send(
        new PutCommand({ TableName, Item: { PK, SK: `ORDER#${date}`, totalCents: 1000 + index } }),
      )
    ));
    await documentClient.send(
      new PutCommand({ TableName, Item: { PK, SK: "ADDRESS#home", city: "Oslo" } }),
    );
  }

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));

    await t.step("PutItem and GetItem: profile round trip", async () => {
      const profile = { PK: "USER#123", SK: "PROFILE", name: "Ada", email: "ada@example.com" };
      await documentClient.send(new PutCommand({ TableName, Item: profile }));

      const result = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#123", SK: "PROFILE" }, ConsistentRead: true }),
      );
      assert.deepEqual(result.Item, profile);
    });

    await t.step("GetItem: missing item returns no Item field", async () => {
      const result = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#123", SK: "NOPE" } }),
      );
      assert.equal(result.Item, undefined);
      assert.equal("Item" in result, false);
    });

    await t.step("Query: begins_with returns orders in sort key order", async () => {
      await putUserWithOrders("200");
      const result = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
          ExpressionAttributeValues: { ":pk": "USER#200", ":prefix": "ORDER#" },
        }),
      );
      const sortKeys = (result.Items ?? []).map((item) => item.SK);
      assert.deepEqual(sortKeys, ORDER_DATES.map((date) => `ORDER#${date}`));
      assert.equal(result.Count, ORDER_DATES.length);
      assert.equal(result.ScannedCount, ORDER_DATES.length);
      assert.equal(result.LastEvaluatedKey, undefined);
    });

    await t.step("Query: BETWEEN selects an inclusive date range", async () => {
      await putUserWithOrders("201");
      const result = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
          ExpressionAttributeValues: {
            ":pk": "USER#201",
            ":from": "ORDER#2024-01-15",
            ":to": "ORDER#2024-02-29",
          },
        }),
      );
      const sortKeys = (result.Items ?? []).map((item) => item.SK);
      assert.deepEqual(sortKeys, [
        "ORDER#2024-01-15",
        "ORDER#2024-01-31",
        "ORDER#2024-02-03",
        "ORDER#2024-02-29",
      ]);
    });

    await t.step("Query: ScanIndexForward=false returns newest first", async () => {
      await putUserWithOrders("202");
      const result = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
          ExpressionAttributeValues: { ":pk": "USER#202", ":prefix": "ORDER#" },
          ScanIndexForward: false,
          Limit: 3,
        }),
      );
      const sortKeys = (result.Items ?? []).map((item) => item.SK);
      assert.deepEqual(sortKeys, ["ORDER#2024-07-14", "ORDER#2024-06-30", "ORDER#2024-05-05"]);
      assert.deepEqual(result.LastEvaluatedKey, { PK: "USER#202", SK: "ORDER#2024-05-05" });
    });

    await t.step("Query: sort key comparison operators", async () => {
      await putUserWithOrders("203");
      const cases: [string, string, number][] = [
        ["SK < :value", "ORDER#2024-01-15", 1],
        ["SK <= :value", "ORDER#2024-01-15", 2],
        ["SK > :value", "ORDER#2024-06-30", 1],
        ["SK >= :value", "ORDER#2024-06-30", 2],
        ["SK = :value", "ORDER#2024-03-20", 1],
      ];
      for (const [condition, value, expectedOrderCount] of cases) {
        const result = await documentClient.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: `PK = :pk AND ${condition}`,
            // A Query filter may not name key attributes, so orders are told apart by totalCents.
            FilterExpression: "attribute_exists(totalCents)",
            ExpressionAttributeValues: { ":pk": "USER#203", ":value": value },
          }),
        );
        assert.equal(result.Count, expectedOrderCount, condition);
      }
    });

    await t.step("Query: Limit pages through ExclusiveStartKey", async () => {
      await putUserWithOrders("204");
      const pages = await queryPages({
        TableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues: { ":pk": "USER#204", ":prefix": "ORDER#" },
        Limit: 3,
      });
      assert.deepEqual(pages.map((page) => page.length), [3, 3, 3, 1]);
      const sortKeys = pages.flat().map((item) => item.SK);
      assert.deepEqual(sortKeys, ORDER_DATES.map((date) => `ORDER#${date}`));
    });

    await t.step(
      "Query: Limit equal to the item count still returns LastEvaluatedKey",
      async () => {
        await putUserWithOrders("205");
        const first = await documentClient.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues: { ":pk": "USER#205", ":prefix": "ORDER#" },
            Limit: ORDER_DATES.length,
          }),
        );
        assert.equal(first.Count, ORDER_DATES.length);
        assert.deepEqual(first.LastEvaluatedKey, { PK: "USER#205", SK: "ORDER#2024-07-14" });

        const second = await documentClient.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues: { ":pk": "USER#205", ":prefix": "ORDER#" },
            ExclusiveStartKey: first.LastEvaluatedKey,
          }),
        );
        assert.equal(second.Count, 0);
        assert.deepEqual(second.Items, []);
        assert.equal(second.LastEvaluatedKey, undefined);
      },
    );

    await t.step("Query: reverse order pages through ExclusiveStartKey", async () => {
      await putUserWithOrders("207");
      const pages = await queryPages({
        TableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues: { ":pk": "USER#207", ":prefix": "ORDER#" },
        ScanIndexForward: false,
        Limit: 4,
      });
      assert.deepEqual(pages.map((page) => page.length), [4, 4, 2]);
      const sortKeys = pages.flat().map((item) => item.SK);
      assert.deepEqual(sortKeys, ORDER_DATES.map((date) => `ORDER#${date}`).reverse());
    });

    await t.step("Query: Limit counts items read before the filter", async () => {
      await putUserWithOrders("208");
      const result = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
          FilterExpression: "totalCents >= :minimum",
          ExpressionAttributeValues: { ":pk": "USER#208", ":prefix": "ORDER#", ":minimum": 1005 },
          Limit: 4,
        }),
      );
      // The first four orders have totalCents 1000 to 1003, so the page is empty but not last.
      assert.equal(result.Count, 0);
      assert.equal(result.ScannedCount, 4);
      assert.deepEqual(result.Items, []);
      assert.deepEqual(result.LastEvaluatedKey, { PK: "USER#208", SK: "ORDER#2024-02-03" });
    });

    await t.step("Query: Select COUNT and FilterExpression counts", async () => {
      await putUserWithOrders("206");
      const result = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk",
          FilterExpression: "totalCents >= :minimum",
          ExpressionAttributeValues: { ":pk": "USER#206", ":minimum": 1005 },
          Select: "COUNT",
        }),
      );
      assert.equal(result.Items, undefined);
      assert.equal(result.Count, 5);
      assert.equal(result.ScannedCount, ORDER_DATES.length + 2);
    });

    await t.step("Query: 1 MB page limit splits large items across pages", async () => {
      const itemCount = 12;
      const payloadBytes = 200 * 1024;
      await Promise.all(Array.from({ length: itemCount }, (_, index) =>
        documentClient.send(
          new PutCommand({
            TableName,
            Item: {
              PK: "USER#big",
              SK: `CHUNK#${String(index).padStart(2, "0")}`,
              data: asciiText(payloadBytes, index),
            },
          }),
        )));
      const pages = await queryPages({
        TableName,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": "USER#big" },
      });

      // 12 items of about 200 KB are about 2.4 MB, so at least three 1 MB pages are needed.
      assert.ok(pages.length >= 3, `expected at least 3 pages, got ${pages.length}`);
      const firstPageLength = pages[0]?.length ?? 0;
      assert.ok(firstPageLength >= 4 && firstPageLength <= 6, `first page had ${firstPageLength}`);
      const sortKeys = pages.flat().map((item) => item.SK);
      assert.deepEqual(
        sortKeys,
        Array.from({ length: itemCount }, (_, index) => `CHUNK#${String(index).padStart(2, "0")}`),
      );
      const lastItem = pages.flat().at(-1);
      assert.equal(lastItem?.data, asciiText(payloadBytes, itemCount - 1));
    });

    await t.step("PutItem: attribute_not_exists creates only once", async () => {
      const Item = { PK: "USER#300", SK: "PROFILE", name: "first" };
      await documentClient.send(
        new PutCommand({ TableName, Item, ConditionExpression: "attribute_not_exists(PK)" }),
      );
      await expectServiceError(
        documentClient.send(
          new PutCommand({
            TableName,
            Item: { ...Item, name: "second" },
            ConditionExpression: "attribute_not_exists(PK)",
          }),
        ),
        { name: "ConditionalCheckFailedException", message: "The conditional request failed" },
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#300", SK: "PROFILE" }, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.name, "first");
    });

    await t.step("PutItem: concurrent create-if-absent has one winner", async () => {
      const contenderCount = 20;
      const Key = { PK: "USER#304", SK: "LOCK" };
      const outcomes = await Promise.allSettled(
        Array.from({ length: contenderCount }, (_, index) =>
          documentClient.send(
            new PutCommand({
              TableName,
              Item: { ...Key, owner: `worker-${index}` },
              ConditionExpression: "attribute_not_exists(PK)",
            }),
          )),
      );
      const winners = outcomes.flatMap((outcome, index) =>
        outcome.status === "fulfilled" ? [`worker-${index}`] : []
      );
      assert.equal(winners.length, 1, `winners: ${winners.join(", ")}`);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") {
          assert.equal(outcome.reason.name, "ConditionalCheckFailedException");
        }
      }
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.owner, winners[0]);
    });

    await t.step("UpdateItem: version check accepts current and rejects stale", async () => {
      const Key = { PK: "USER#301", SK: "PROFILE" };
      await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, version: 1, name: "v1" } }),
      );
      const update = (expectedVersion: number, name: string) =>
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET #name = :name, version = version + :one",
            ConditionExpression: "version = :expected",
            ExpressionAttributeNames: { "#name": "name" },
            ExpressionAttributeValues: { ":name": name, ":one": 1, ":expected": expectedVersion },
            ReturnValues: "ALL_NEW",
          }),
        );

      const updated = await update(1, "v2");
      assert.deepEqual(updated.Attributes, { ...Key, version: 2, name: "v2" });
      await expectServiceError(update(1, "stale"), {
        name: "ConditionalCheckFailedException",
        message: "The conditional request failed",
      });
      const stored = await documentClient.send(new GetCommand({ TableName, Key }));
      assert.deepEqual(stored.Item, { ...Key, version: 2, name: "v2" });
    });

    await t.step(
      "UpdateItem: ReturnValuesOnConditionCheckFailure=ALL_OLD returns the item",
      async () => {
        const Key: Record<string, AttributeValue> = { PK: { S: "USER#302" }, SK: { S: "PROFILE" } };
        await documentClient.send(
          new PutCommand({ TableName, Item: { PK: "USER#302", SK: "PROFILE", version: 7 } }),
        );
        const error = await expectServiceError(
          client.send(
            new UpdateItemCommand({
              TableName,
              Key,
              UpdateExpression: "SET version = :next",
              ConditionExpression: "version = :expected",
              ExpressionAttributeValues: { ":next": { N: "2" }, ":expected": { N: "1" } },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          ),
          { name: "ConditionalCheckFailedException", message: "The conditional request failed" },
        );
        assert.deepEqual(error.Item, { ...Key, version: { N: "7" } });
      },
    );

    await t.step("DeleteItem: condition failure without ALL_OLD carries no Item", async () => {
      await documentClient.send(
        new PutCommand({ TableName, Item: { PK: "USER#303", SK: "PROFILE", status: "active" } }),
      );
      const error = await expectServiceError(
        documentClient.send(
          new DeleteCommand({
            TableName,
            Key: { PK: "USER#303", SK: "PROFILE" },
            ConditionExpression: "#status = :closed",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":closed": "closed" },
          }),
        ),
        { name: "ConditionalCheckFailedException", message: "The conditional request failed" },
      );
      assert.equal(error.Item, undefined);
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#303", SK: "PROFILE" } }),
      );
      assert.equal(stored.Item?.status, "active");
    });

    await t.step("UpdateItem: concurrent ADD increments count exactly", async () => {
      const incrementCount = 40;
      const Key = { PK: "USER#400", SK: "COUNTER#views" };
      const results = await Promise.all(
        Array.from({ length: incrementCount }, () =>
          documentClient.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: "ADD hits :one",
              ExpressionAttributeValues: { ":one": 1 },
              ReturnValues: "UPDATED_NEW",
            }),
          )),
      );
      const returned = results.map((result) => Number(result.Attributes?.hits)).sort((a, b) =>
        a - b
      );
      assert.deepEqual(returned, Array.from({ length: incrementCount }, (_, index) => index + 1));
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.hits, incrementCount);
    });

    await t.step("UpdateItem: concurrent SET x = x + :one counts exactly", async () => {
      const incrementCount = 40;
      const Key = { PK: "USER#401", SK: "COUNTER#likes" };
      await documentClient.send(new PutCommand({ TableName, Item: { ...Key, likes: 0 } }));
      const results = await Promise.all(
        Array.from({ length: incrementCount }, () =>
          documentClient.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: "SET likes = likes + :one",
              ExpressionAttributeValues: { ":one": 1 },
              ReturnValues: "UPDATED_NEW",
            }),
          )),
      );
      const returned = results.map((result) => Number(result.Attributes?.likes)).sort((a, b) =>
        a - b
      );
      assert.deepEqual(returned, Array.from({ length: incrementCount }, (_, index) => index + 1));
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.likes, incrementCount);
    });

    await t.step("UpdateItem: if_not_exists starts a counter", async () => {
      const Key = { PK: "USER#402", SK: "COUNTER#logins" };
      const update = () =>
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET logins = if_not_exists(logins, :zero) + :one",
            ExpressionAttributeValues: { ":zero": 0, ":one": 1 },
            ReturnValues: "UPDATED_NEW",
          }),
        );
      assert.deepEqual((await update()).Attributes, { logins: 1 });
      assert.deepEqual((await update()).Attributes, { logins: 2 });
    });

    await t.step("PutItem: ReturnValues ALL_OLD and NONE", async () => {
      const Key = { PK: "USER#500", SK: "PROFILE" };
      const first = await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, name: "one" }, ReturnValues: "ALL_OLD" }),
      );
      assert.equal(first.Attributes, undefined);
      const second = await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, name: "two" }, ReturnValues: "ALL_OLD" }),
      );
      assert.deepEqual(second.Attributes, { ...Key, name: "one" });
      const third = await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, name: "three" }, ReturnValues: "NONE" }),
      );
      assert.equal(third.Attributes, undefined);
    });

    await t.step("PutItem: ReturnValues ALL_NEW is rejected", async () => {
      await expectServiceError(
        documentClient.send(
          new PutCommand({
            TableName,
            Item: { PK: "USER#501", SK: "PROFILE" },
            ReturnValues: "ALL_NEW",
          }),
        ),
        { name: "ValidationException", message: "ReturnValues can only be ALL_OLD or NONE" },
      );
    });

    await t.step("UpdateItem: each ReturnValues variant", async () => {
      const Key = { PK: "USER#502", SK: "PROFILE" };
      const base = { ...Key, name: "Ada", city: "Oslo", visits: 1 };
      const cases: [string, Record<string, unknown> | undefined][] = [
        ["NONE", undefined],
        ["ALL_OLD", base],
        ["UPDATED_OLD", { city: "Oslo", visits: 1 }],
        ["ALL_NEW", { ...Key, name: "Ada", city: "Bergen", visits: 2 }],
        ["UPDATED_NEW", { city: "Bergen", visits: 2 }],
      ];
      for (const [returnValues, expected] of cases) {
        await documentClient.send(new PutCommand({ TableName, Item: base }));
        const result = await documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET city = :city, visits = visits + :one",
            ExpressionAttributeValues: { ":city": "Bergen", ":one": 1 },
            ReturnValues: returnValues as "NONE",
          }),
        );
        assert.deepEqual(result.Attributes, expected, returnValues);
      }
    });

    await t.step("UpdateItem: REMOVE with ALL_OLD and UPDATED_OLD", async () => {
      const Key = { PK: "USER#503", SK: "PROFILE" };
      await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, nickname: "ada", city: "Oslo" } }),
      );
      const result = await documentClient.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: "REMOVE nickname",
          ReturnValues: "UPDATED_OLD",
        }),
      );
      assert.deepEqual(result.Attributes, { nickname: "ada" });
      const stored = await documentClient.send(new GetCommand({ TableName, Key }));
      assert.deepEqual(stored.Item, { ...Key, city: "Oslo" });
    });

    await t.step("DeleteItem: ReturnValues ALL_OLD returns the deleted item", async () => {
      const Key = { PK: "USER#504", SK: "PROFILE" };
      await documentClient.send(new PutCommand({ TableName, Item: { ...Key, name: "gone" } }));
      const result = await documentClient.send(
        new DeleteCommand({ TableName, Key, ReturnValues: "ALL_OLD" }),
      );
      assert.deepEqual(result.Attributes, { ...Key, name: "gone" });
      const again = await documentClient.send(
        new DeleteCommand({ TableName, Key, ReturnValues: "ALL_OLD" }),
      );
      assert.equal(again.Attributes, undefined);
      const stored = await documentClient.send(new GetCommand({ TableName, Key }));
      assert.equal(stored.Item, undefined);
    });
  } finally {
    destroy();
    await target.close();
  }
});
