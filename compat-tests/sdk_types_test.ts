/**
 * AWS SDK v3 against a real Strata process: every attribute type round-trips unchanged through
 * the low-level client and the DocumentClient, numbers keep 38 significant digits and come back
 * in DynamoDB's canonical form, and number and binary sort keys order by value and by bytes.
 *
 * Method: one server per file; each step writes an item and reads it back with a strongly
 * consistent GetItem, comparing against the value it wrote.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  createClients,
  createTableAndWait,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

/** Sets come back in an order DynamoDB does not define, so compare them sorted. */
function sortSets(value: AttributeValue): AttributeValue {
  if (value.SS) return { SS: [...value.SS].sort() };
  if (value.NS) return { NS: [...value.NS].sort() };
  if (value.BS) {
    return { BS: [...value.BS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))) };
  }
  if (value.L) return { L: value.L.map(sortSets) };
  if (value.M) {
    return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, sortSets(v)])) };
  }
  return value;
}

function normaliseItem(item: Record<string, AttributeValue> | undefined) {
  if (item === undefined) return undefined;
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, sortSets(value)]));
}

Deno.test("attribute types through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("types");
  const NumberTableName = uniqueTableName("types_number");
  const BinaryTableName = uniqueTableName("types_binary");

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));
    await createTableAndWait(client, {
      TableName: NumberTableName,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "rank", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "rank", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });
    await createTableAndWait(client, {
      TableName: BinaryTableName,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "B" },
        { AttributeName: "SK", AttributeType: "B" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });

    await t.step("low-level client: all ten types round-trip", async () => {
      const item: Record<string, AttributeValue> = {
        PK: { S: "USER#800" },
        SK: { S: "TYPES" },
        text: { S: "héllo wörld ✓" },
        emptyText: { S: "" },
        count: { N: "42" },
        negative: { N: "-3.25" },
        blob: { B: new Uint8Array([0, 1, 2, 254, 255]) },
        emptyBlob: { B: new Uint8Array([]) },
        flag: { BOOL: true },
        off: { BOOL: false },
        nothing: { NULL: true },
        profile: {
          M: { city: { S: "Oslo" }, zip: { N: "150" }, nested: { M: { deep: { L: [] } } } },
        },
        emptyMap: { M: {} },
        history: {
          L: [{ S: "a" }, { N: "1" }, { BOOL: false }, { NULL: true }, { L: [{ S: "x" }] }],
        },
        tags: { SS: ["red", "green", "blue"] },
        scores: { NS: ["1", "2.5", "-7"] },
        keys: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
      };
      await client.send(new PutItemCommand({ TableName, Item: item }));
      const stored = await client.send(
        new GetItemCommand({
          TableName,
          Key: { PK: item.PK!, SK: item.SK! },
          ConsistentRead: true,
        }),
      );
      assert.deepEqual(normaliseItem(stored.Item), normaliseItem(item));
    });

    await t.step("DocumentClient: native values and sets round-trip", async () => {
      const item = {
        PK: "USER#801",
        SK: "TYPES",
        text: "plain",
        count: 42,
        ratio: 0.125,
        blob: new Uint8Array([9, 8, 7]),
        flag: false,
        nothing: null,
        profile: { city: "Bergen", tags: ["a", "b"], nested: { level: 2 } },
        history: [1, "two", { three: 3 }, [4]],
        tags: new Set(["x", "y"]),
        scores: new Set([3, 1, 2]),
        keys: new Set([new Uint8Array([1, 2]), new Uint8Array([3])]),
      };
      await documentClient.send(new PutCommand({ TableName, Item: item }));
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: item.PK, SK: item.SK }, ConsistentRead: true }),
      );
      const result = stored.Item ?? {};
      assert.equal(result.text, "plain");
      assert.equal(result.count, 42);
      assert.equal(result.ratio, 0.125);
      assert.deepEqual(new Uint8Array(result.blob), item.blob);
      assert.equal(result.flag, false);
      assert.equal(result.nothing, null);
      assert.deepEqual(result.profile, item.profile);
      assert.deepEqual(result.history, item.history);
      assert.deepEqual([...result.tags].sort(), ["x", "y"]);
      assert.deepEqual([...result.scores].sort(), [1, 2, 3]);
      const keys = [...result.keys].map((bytes: Uint8Array) => [...bytes]).sort();
      assert.deepEqual(keys, [[1, 2], [3]]);
    });

    await t.step("numbers: 38 significant digits round-trip", async () => {
      const values = [
        "12345678901234567890123456789012345678",
        "-12345678901234567890123456789012345678",
        "0.12345678901234567890123456789012345678",
        "3.1415926535897932384626433832795028841",
      ];
      for (const value of values) {
        await client.send(
          new PutItemCommand({
            TableName,
            Item: { PK: { S: "USER#802" }, SK: { S: "NUMBER" }, value: { N: value } },
          }),
        );
        const stored = await client.send(
          new GetItemCommand({
            TableName,
            Key: { PK: { S: "USER#802" }, SK: { S: "NUMBER" } },
            ConsistentRead: true,
          }),
        );
        assert.equal(stored.Item?.value?.N, value);
      }
    });

    await t.step("numbers: exponent form returns canonical digits", async () => {
      await client.send(
        new PutItemCommand({
          TableName,
          Item: { PK: { S: "USER#803" }, SK: { S: "NUMBER" }, value: { N: "1e3" } },
        }),
      );
      const stored = await client.send(
        new GetItemCommand({
          TableName,
          Key: { PK: { S: "USER#803" }, SK: { S: "NUMBER" } },
          ConsistentRead: true,
        }),
      );
      assert.equal(stored.Item?.value?.N, "1000");
    });

    await t.step("numbers: sort key orders by numeric value", async () => {
      const ranks = ["10", "-5", "2", "1e2", "0.5", "-100"];
      for (const rank of ranks) {
        await client.send(
          new PutItemCommand({
            TableName: NumberTableName,
            Item: { PK: { S: "BOARD" }, rank: { N: rank } },
          }),
        );
      }
      const result = await client.send(
        new QueryCommand({
          TableName: NumberTableName,
          KeyConditionExpression: "PK = :pk AND #rank BETWEEN :low AND :high",
          ExpressionAttributeNames: { "#rank": "rank" },
          ExpressionAttributeValues: {
            ":pk": { S: "BOARD" },
            ":low": { N: "-50" },
            ":high": { N: "100" },
          },
        }),
      );
      const returned = (result.Items ?? []).map((item) => item.rank?.N);
      assert.deepEqual(returned, ["-5", "0.5", "2", "10", "100"]);
    });

    await t.step("strings: sort key orders by UTF-8 bytes", async () => {
      // UTF-16 order would put the emoji (surrogates 0xD83D...) before U+FFFF; UTF-8 puts it after.
      const sortKeys = ["ab", "a", "a\u0000b", "a\u0000", "a\u0001", "b", "\uffff", "😀", "é", "Z"];
      for (const SK of sortKeys) {
        await client.send(
          new PutItemCommand({ TableName, Item: { PK: { S: "ORDERING" }, SK: { S: SK } } }),
        );
      }
      const result = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": { S: "ORDERING" } },
        }),
      );
      const expected = sortKeys.toSorted((a, b) =>
        Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))
      );
      assert.deepEqual((result.Items ?? []).map((item) => item.SK?.S), expected);
    });

    await t.step("binary: sort key orders by unsigned bytes", async () => {
      const sortKeys = [
        [0x80],
        [0x01, 0xff],
        [0x01],
        [0xff, 0x00],
        [0x7f],
        [0x00],
        [0x00, 0x00],
        [0x00, 0x01],
        [0xff],
        [0xff, 0xff],
      ];
      for (const bytes of sortKeys) {
        await client.send(
          new PutItemCommand({
            TableName: BinaryTableName,
            Item: { PK: { B: new Uint8Array([7]) }, SK: { B: new Uint8Array(bytes) } },
          }),
        );
      }
      const result = await client.send(
        new QueryCommand({
          TableName: BinaryTableName,
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": { B: new Uint8Array([7]) } },
        }),
      );
      const returned = (result.Items ?? []).map((item) => [...(item.SK?.B ?? [])]);
      assert.deepEqual(returned, [
        [0x00],
        [0x00, 0x00],
        [0x00, 0x01],
        [0x01],
        [0x01, 0xff],
        [0x7f],
        [0x80],
        [0xff],
        [0xff, 0x00],
        [0xff, 0xff],
      ]);
    });
  } finally {
    destroy();
    await target.close();
  }
});
