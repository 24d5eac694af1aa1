/**
 * AWS SDK v3 against a real Strata process: the expression language end to end (update actions on
 * nested paths, condition functions, projections, filters), expression limits, item nesting depth
 * and ReturnConsumedCapacity arithmetic.
 *
 * Method: one server and one table per file. Each step writes its own item, applies one kind of
 * expression and compares the stored item or the error with DynamoDB's documented result.
 * Capacity units follow DynamoDB's rules: a write costs one unit per started KB of the larger of
 * the old and new item; a read one unit per started 4 KB, halved for eventually consistent reads.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  asciiText,
  createClients,
  createTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

/** Wraps `{S: "leaf"}` in `depth` single-entry maps. */
function nestedMap(depth: number): AttributeValue {
  let value: AttributeValue = { S: "leaf" };
  for (let level = 0; level < depth; level += 1) value = { M: { n: value } };
  return value;
}

Deno.test("expressions and capacity through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("expressions");

  async function readItem(Key: Record<string, unknown>) {
    const result = await documentClient.send(
      new GetCommand({ TableName, Key, ConsistentRead: true }),
    );
    return result.Item;
  }

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));

    await t.step("UpdateExpression: nested paths, list_append, ADD and DELETE", async () => {
      const Key = { PK: "USER#900", SK: "PROFILE" };
      await documentClient.send(
        new PutCommand({
          TableName,
          Item: {
            ...Key,
            address: { city: "Oslo", geo: { lat: 59 } },
            history: ["a", "b", "c"],
            tags: new Set(["red", "green", "blue"]),
            scores: new Set([1, 2]),
          },
        }),
      );
      await documentClient.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: "SET address.geo.lng = :lng, history[1] = :b2 " +
            "REMOVE address.city ADD scores :newScores DELETE tags :gone",
          ExpressionAttributeValues: {
            ":lng": 10,
            ":b2": "B",
            ":newScores": new Set([3]),
            ":gone": new Set(["green"]),
          },
        }),
      );
      await documentClient.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: "SET history = list_append(history, :more)",
          ExpressionAttributeValues: { ":more": ["d"] },
        }),
      );
      await documentClient.send(
        new UpdateCommand({ TableName, Key, UpdateExpression: "REMOVE history[0]" }),
      );

      const item = await readItem(Key);
      assert.deepEqual(item?.address, { geo: { lat: 59, lng: 10 } });
      assert.deepEqual(item?.history, ["B", "c", "d"]);
      assert.deepEqual([...(item?.tags ?? [])].sort(), ["blue", "red"]);
      assert.deepEqual([...(item?.scores ?? [])].sort(), [1, 2, 3]);
    });

    await t.step("UpdateExpression: overlapping paths are rejected", async () => {
      await expectServiceError(
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key: { PK: "USER#900", SK: "PROFILE" },
            UpdateExpression: "SET history = :list REMOVE history[0]",
            ExpressionAttributeValues: { ":list": ["x"] },
          }),
        ),
        {
          name: "ValidationException",
          message: "Invalid UpdateExpression: Two document paths overlap with each other; must " +
            "remove or rewrite one of these paths; path one: [history], path two: [history, [0]]",
        },
      );
    });

    await t.step("UpdateExpression: SET on a missing nested path is rejected", async () => {
      const Key = { PK: "USER#901", SK: "PROFILE" };
      await documentClient.send(new PutCommand({ TableName, Item: { ...Key, address: {} } }));
      await expectServiceError(
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET address.geo.lat = :lat",
            ExpressionAttributeValues: { ":lat": 1 },
          }),
        ),
        {
          name: "ValidationException",
          message: "The document path provided in the update expression is invalid for update",
        },
      );
    });

    await t.step("UpdateExpression: ADD to a string attribute is a type error", async () => {
      const Key = { PK: "USER#902", SK: "PROFILE" };
      await documentClient.send(new PutCommand({ TableName, Item: { ...Key, name: "Ada" } }));
      const error = await expectServiceError(
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "ADD #name :one",
            ExpressionAttributeNames: { "#name": "name" },
            ExpressionAttributeValues: { ":one": 1 },
          }),
        ),
        { name: "ValidationException" },
      );
      assert.match(error.message, /An operand in the update expression has an incorrect data type/);
    });

    await t.step("ConditionExpression: functions and boolean operators", async () => {
      const Key = { PK: "USER#903", SK: "PROFILE" };
      await documentClient.send(
        new PutCommand({
          TableName,
          Item: {
            ...Key,
            name: "Ada Lovelace",
            tags: ["math", "poetry"],
            age: 36,
            status: "active",
          },
        }),
      );
      const cases: [string, Record<string, unknown>, boolean][] = [
        ["attribute_type(age, :N)", { ":N": "N" }, true],
        ["attribute_type(age, :S)", { ":S": "S" }, false],
        ["contains(tags, :tag)", { ":tag": "poetry" }, true],
        ["contains(#name, :part)", { ":part": "Love" }, true],
        ["size(#name) = :len", { ":len": 12 }, true],
        ["size(tags) > :count", { ":count": 2 }, false],
        ["begins_with(#name, :prefix)", { ":prefix": "Ada" }, true],
        ["age BETWEEN :low AND :high", { ":low": 30, ":high": 40 }, true],
        ["#status IN (:a, :b)", { ":a": "closed", ":b": "active" }, true],
        ["NOT (age < :limit) AND (#status = :s OR attribute_not_exists(zzz))", {
          ":limit": 18,
          ":s": "closed",
        }, true],
        ["age <> :age", { ":age": 36 }, false],
      ];
      for (const [condition, values, expected] of cases) {
        const usesName = condition.includes("#name");
        const usesStatus = condition.includes("#status");
        const names: Record<string, string> = {};
        if (usesName) names["#name"] = "name";
        if (usesStatus) names["#status"] = "status";
        const attempt = documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET checked = :true",
            ConditionExpression: condition,
            ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
            ExpressionAttributeValues: { ...values, ":true": true },
          }),
        );
        if (expected) {
          await attempt;
        } else {
          await expectServiceError(attempt, {
            name: "ConditionalCheckFailedException",
            message: "The conditional request failed",
          });
        }
      }
    });

    await t.step("ProjectionExpression: nested paths and list indexes", async () => {
      const Key = { PK: "USER#904", SK: "PROFILE" };
      await documentClient.send(
        new PutCommand({
          TableName,
          Item: {
            ...Key,
            address: { city: "Oslo", zip: "0150" },
            history: ["a", "b", "c"],
            secret: "x",
          },
        }),
      );
      const result = await documentClient.send(
        new GetCommand({
          TableName,
          Key,
          ProjectionExpression: "address.city, history[2], PK",
        }),
      );
      assert.deepEqual(result.Item, { PK: "USER#904", address: { city: "Oslo" }, history: ["c"] });
    });

    await t.step("FilterExpression: Scan filter with contains on a list", async () => {
      for (const [index, tags] of [["a", "b"], ["b"], ["c"]].entries()) {
        await documentClient.send(
          new PutCommand({ TableName, Item: { PK: `FILTER#${index}`, SK: "ITEM", tags } }),
        );
      }
      const result = await documentClient.send(
        new ScanCommand({
          TableName,
          FilterExpression: "begins_with(PK, :prefix) AND contains(tags, :tag)",
          ExpressionAttributeValues: { ":prefix": "FILTER#", ":tag": "b" },
          ConsistentRead: true,
        }),
      );
      const keys = (result.Items ?? []).map((item) => item.PK).sort();
      assert.deepEqual(keys, ["FILTER#0", "FILTER#1"]);
    });

    await t.step("limits: expression of 4096 bytes accepted, 4097 rejected", async () => {
      const Key = { PK: { S: "USER#905" }, SK: { S: "PROFILE" } };
      const update = (spaceCount: number) =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key,
            UpdateExpression: `SET${" ".repeat(spaceCount)}a = :value`,
            ExpressionAttributeValues: { ":value": { N: "1" } },
          }),
        );
      // "SET" + spaces + "a = :value" is 3 + spaceCount + 10 bytes.
      await update(4096 - 13);
      // DynamoDB states the size for condition expressions but not for update expressions.
      await expectServiceError(update(4097 - 13), {
        name: "ValidationException",
        message: "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;",
      });

      const conditional = (spaceCount: number) =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key,
            UpdateExpression: "SET a = :value",
            ConditionExpression: `a${" ".repeat(spaceCount)}= :value`,
            ExpressionAttributeValues: { ":value": { N: "1" } },
          }),
        );
      // "a" + spaces + "= :value" is 1 + spaceCount + 8 bytes.
      await conditional(4096 - 9);
      await expectServiceError(conditional(4097 - 9), {
        name: "ValidationException",
        message: "Invalid ConditionExpression: Expression size has exceeded the maximum allowed " +
          "size; expression size: 4097",
      });
    });

    await t.step("limits: 300 operators accepted, 301 rejected", async () => {
      const Key = { PK: { S: "USER#906" }, SK: { S: "PROFILE" } };
      await client.send(new PutItemCommand({ TableName, Item: { ...Key, a: { N: "1" } } }));
      // n comparisons joined by n - 1 ORs are 2n - 1 operators.
      const condition = (comparisonCount: number) =>
        Array.from({ length: comparisonCount }, () => "a = :one").join(" OR ");
      const update = (comparisonCount: number) =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key,
            UpdateExpression: "SET b = :one",
            ConditionExpression: condition(comparisonCount),
            ExpressionAttributeValues: { ":one": { N: "1" } },
          }),
        );
      await update(150);
      await expectServiceError(update(151), {
        name: "ValidationException",
        message: "Invalid ConditionExpression: The expression contains too many operators; " +
          "operator count: 301",
      });
    });

    await t.step("limits: IN accepts 100 operands, rejects 101", async () => {
      const Key = { PK: { S: "USER#907" }, SK: { S: "PROFILE" } };
      await client.send(new PutItemCommand({ TableName, Item: { ...Key, a: { N: "5" } } }));
      const update = (operandCount: number) => {
        const values: Record<string, AttributeValue> = {};
        for (let index = 0; index < operandCount; index += 1) {
          values[`:v${index}`] = { N: String(index) };
        }
        return client.send(
          new UpdateItemCommand({
            TableName,
            Key,
            UpdateExpression: "SET b = :v0",
            ConditionExpression: `a IN (${Object.keys(values).join(", ")})`,
            ExpressionAttributeValues: values,
          }),
        );
      };
      await update(100);
      await expectServiceError(update(101), {
        name: "ValidationException",
        message: "Invalid ConditionExpression: The IN operator is provided with too many " +
          "operands; number of operands: 101",
      });
    });

    await t.step("limits: 32 nesting levels accepted, 33 rejected", async () => {
      const Key = { PK: { S: "USER#908" }, SK: { S: "PROFILE" } };
      // The attribute itself is level 1, so 31 wrapping maps put the leaf at level 32.
      await client.send(new PutItemCommand({ TableName, Item: { ...Key, deep: nestedMap(31) } }));
      const stored = await client.send(
        new GetItemCommand({ TableName, Key, ConsistentRead: true }),
      );
      assert.deepEqual(stored.Item?.deep, nestedMap(31));
      await expectServiceError(
        client.send(new PutItemCommand({ TableName, Item: { ...Key, deep: nestedMap(32) } })),
        { name: "ValidationException", message: /Nesting Levels have exceeded supported limits/ },
      );
    });

    await t.step("ReturnConsumedCapacity: write units per started KB", async () => {
      // PK (2 + 8) + SK (2 + 7) + "data" (4) = 23 bytes besides the data value.
      const put = (dataBytes: number) =>
        client.send(
          new PutItemCommand({
            TableName,
            Item: {
              PK: { S: "USER#909" },
              SK: { S: "CAPA#01" },
              data: { S: asciiText(dataBytes) },
            },
            ReturnConsumedCapacity: "TOTAL",
          }),
        );
      const oneKb = await put(1024 - 23);
      assert.equal(oneKb.ConsumedCapacity?.TableName, TableName);
      assert.equal(oneKb.ConsumedCapacity?.CapacityUnits, 1);
      // The old item is 1 KB and the new one 1 KB + 1 byte: the larger costs 2 units.
      const justOver = await put(1024 - 23 + 1);
      assert.equal(justOver.ConsumedCapacity?.CapacityUnits, 2);
      const withIndexes = await client.send(
        new PutItemCommand({
          TableName,
          Item: { PK: { S: "USER#909" }, SK: { S: "CAPA#02" } },
          ReturnConsumedCapacity: "INDEXES",
        }),
      );
      assert.equal(withIndexes.ConsumedCapacity?.CapacityUnits, 1);
      assert.equal(withIndexes.ConsumedCapacity?.Table?.CapacityUnits, 1);
      const none = await client.send(
        new PutItemCommand({ TableName, Item: { PK: { S: "USER#909" }, SK: { S: "CAPA#03" } } }),
      );
      assert.equal(none.ConsumedCapacity, undefined);
    });

    await t.step("ReturnConsumedCapacity: read units per started 4 KB", async () => {
      const Key = { PK: { S: "USER#909" }, SK: { S: "CAPA#01" } };
      const get = (ConsistentRead: boolean) =>
        client.send(
          new GetItemCommand({ TableName, Key, ConsistentRead, ReturnConsumedCapacity: "TOTAL" }),
        );
      assert.equal((await get(true)).ConsumedCapacity?.CapacityUnits, 1);
      assert.equal((await get(false)).ConsumedCapacity?.CapacityUnits, 0.5);

      // Ten items of 1 KB each (PK 2 + 8, SK 2 + 7, "data" 4, data 1001) are 10 KB: 3 units.
      for (let index = 0; index < 10; index += 1) {
        await client.send(
          new PutItemCommand({
            TableName,
            Item: {
              PK: { S: "USER#910" },
              SK: { S: `CAPA#${String(index).padStart(2, "0")}` },
              data: { S: asciiText(1024 - 23) },
            },
          }),
        );
      }
      const query = (ConsistentRead: boolean) =>
        client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "PK = :pk",
            ExpressionAttributeValues: { ":pk": { S: "USER#910" } },
            ConsistentRead,
            ReturnConsumedCapacity: "TOTAL",
          }),
        );
      assert.equal((await query(true)).ConsumedCapacity?.CapacityUnits, 3);
      assert.equal((await query(false)).ConsumedCapacity?.CapacityUnits, 1.5);
    });
  } finally {
    destroy();
    await target.close();
  }
});
