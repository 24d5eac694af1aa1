/**
 * AWS SDK v3 against a real Strata process: DynamoDB's limits and the exact shape of its
 * validation errors (SDK error `name`, `$metadata.httpStatusCode` and message text).
 *
 * Method: one server and one table per file. Item sizes are computed as DynamoDB documents them:
 * the UTF-8 length of each attribute name plus its value, so `{PK: "USER#700", SK: "BLOB", data}`
 * weighs 10 + 6 + 4 + the length of `data`. Each rejected write is followed by a read that proves
 * nothing changed.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AttributeValue,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  asciiText,
  createClients,
  createTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

/** DynamoDB's maximum item size: 400 KB with KB = 1024 bytes. */
const ITEM_SIZE_MAX_BYTES = 400 * 1024;
/** Bytes of `PK: "USER#700"`, `SK: "BLOB"` and the name `data`. */
const BLOB_OVERHEAD_BYTES = 2 + 8 + 2 + 4 + 4;

Deno.test("limits and validation errors through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, documentClient, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("limits");

  try {
    await createTableAndWait(client, singleTableDefinition(TableName));

    await t.step("PutItem: item one byte under 400 KB is accepted", async () => {
      const data = asciiText(ITEM_SIZE_MAX_BYTES - 1 - BLOB_OVERHEAD_BYTES);
      await documentClient.send(
        new PutCommand({ TableName, Item: { PK: "USER#700", SK: "BLOB", data } }),
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#700", SK: "BLOB" }, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.data, data);
    });

    await t.step("PutItem: item one byte over 400 KB is rejected", async () => {
      const data = asciiText(ITEM_SIZE_MAX_BYTES + 1 - BLOB_OVERHEAD_BYTES, 7);
      await expectServiceError(
        documentClient.send(
          new PutCommand({ TableName, Item: { PK: "USER#700", SK: "BLOB", data } }),
        ),
        { name: "ValidationException", message: "Item size has exceeded the maximum allowed size" },
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key: { PK: "USER#700", SK: "BLOB" }, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.data, asciiText(ITEM_SIZE_MAX_BYTES - 1 - BLOB_OVERHEAD_BYTES));
    });

    await t.step("PutItem: multi-byte characters count as UTF-8 bytes", async () => {
      // "é" is 2 bytes in UTF-8, so 205,000 of them exceed 400 KB though the string has fewer
      // than 409,600 UTF-16 code units.
      await expectServiceError(
        documentClient.send(
          new PutCommand({
            TableName,
            Item: { PK: "USER#701", SK: "BLOB", data: "é".repeat(205_000) },
          }),
        ),
        { name: "ValidationException", message: "Item size has exceeded the maximum allowed size" },
      );
    });

    await t.step("UpdateItem: growing past 400 KB has its own message", async () => {
      const Key = { PK: "USER#702", SK: "BLOB" };
      await documentClient.send(
        new PutCommand({ TableName, Item: { ...Key, data: asciiText(300 * 1024) } }),
      );
      await expectServiceError(
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: "SET extra = :extra",
            ExpressionAttributeValues: { ":extra": asciiText(150 * 1024) },
          }),
        ),
        {
          name: "ValidationException",
          message: "Item size to update has exceeded the maximum allowed size",
        },
      );
      const stored = await documentClient.send(
        new GetCommand({ TableName, Key, ConsistentRead: true }),
      );
      assert.equal(stored.Item?.extra, undefined);
      assert.equal((stored.Item?.data as string | undefined)?.length, 300 * 1024);
    });

    await t.step("PutItem: partition key of 2048 bytes is accepted, 2049 rejected", async () => {
      await documentClient.send(
        new PutCommand({ TableName, Item: { PK: "p".repeat(2048), SK: "LIMIT" } }),
      );
      await expectServiceError(
        documentClient.send(
          new PutCommand({ TableName, Item: { PK: "p".repeat(2049), SK: "LIMIT" } }),
        ),
        {
          name: "ValidationException",
          message: "One or more parameter values were invalid: Size of hashkey has exceeded the " +
            "maximum size limit of2048 bytes",
        },
      );
    });

    await t.step("PutItem: sort key of 1024 bytes is accepted, 1025 rejected", async () => {
      await documentClient.send(
        new PutCommand({ TableName, Item: { PK: "USER#703", SK: "s".repeat(1024) } }),
      );
      await expectServiceError(
        documentClient.send(
          new PutCommand({ TableName, Item: { PK: "USER#703", SK: "s".repeat(1025) } }),
        ),
        {
          name: "ValidationException",
          message: "One or more parameter values were invalid: Aggregated size of all range keys " +
            "has exceeded the size limit of 1024 bytes",
        },
      );
    });

    await t.step("GetItem: missing table is ResourceNotFoundException", async () => {
      await expectServiceError(
        client.send(
          new GetItemCommand({
            TableName: uniqueTableName("missing"),
            Key: { PK: { S: "a" }, SK: { S: "b" } },
          }),
        ),
        { name: "ResourceNotFoundException", message: "Requested resource not found" },
      );
    });

    await t.step("GetItem: key not matching the schema", async () => {
      const keys: Record<string, AttributeValue>[] = [
        { PK: { N: "1" }, SK: { S: "PROFILE" } },
        { PK: { S: "USER#1" } },
        { PK: { S: "USER#1" }, SK: { S: "PROFILE" }, extra: { S: "x" } },
      ];
      for (const Key of keys) {
        await expectServiceError(client.send(new GetItemCommand({ TableName, Key })), {
          name: "ValidationException",
          message: "The provided key element does not match the schema",
        });
      }
    });

    await t.step("PutItem: missing, mistyped and empty key attributes", async () => {
      const cases: [Record<string, AttributeValue>, string][] = [
        [
          { PK: { S: "USER#1" } },
          "One or more parameter values were invalid: Missing the key SK in the item",
        ],
        [
          { PK: { N: "1" }, SK: { S: "PROFILE" } },
          "One or more parameter values were invalid: Type mismatch for key PK expected: S actual: N",
        ],
        [
          { PK: { S: "" }, SK: { S: "PROFILE" } },
          "One or more parameter values are not valid. The AttributeValue for a key attribute " +
          "cannot contain an empty string value. Key: PK",
        ],
      ];
      for (const [Item, message] of cases) {
        await expectServiceError(client.send(new PutItemCommand({ TableName, Item })), {
          name: "ValidationException",
          message,
        });
      }
    });

    await t.step("PutItem: invalid attribute values", async () => {
      const key = { PK: { S: "USER#704" }, SK: { S: "PROFILE" } };
      const cases: [Record<string, unknown>, string][] = [
        [
          { tags: { SS: [] } },
          "One or more parameter values were invalid: An string set  may not be empty",
        ],
        [
          { tags: { SS: ["a", "a"] } },
          'One or more parameter values were invalid: Input collection ["a", "a"] contains duplicates.',
        ],
        [
          { gone: { NULL: false } },
          "One or more parameter values were invalid: Null attribute value types must have the " +
          "value of true",
        ],
        [
          { count: { N: "1234567890123456789012345678901234567890" } },
          "Attempting to store more than 38 significant digits in a Number",
        ],
        [
          { count: { N: "1e126" } },
          "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ],
        [
          { count: { N: "1e-131" } },
          "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ],
        [{ count: { N: "dog" } }, "The parameter cannot be converted to a numeric value: dog"],
      ];
      // PutItem reports invalid attribute values inside DynamoDB's request-validation envelope
      // ("1 validation error detected: ..."), unlike GetItem and Query.
      for (const [attributes, message] of cases) {
        await expectServiceError(
          client.send(
            new PutItemCommand({ TableName, Item: { ...key, ...attributes } as never }),
          ),
          { name: "ValidationException", message: `1 validation error detected: ${message}` },
        );
      }
      const stored = await client.send(new GetItemCommand({ TableName, Key: key }));
      assert.equal(stored.Item, undefined, "rejected writes must store nothing");
    });

    await t.step("UpdateItem: changing a key attribute is rejected", async () => {
      await expectServiceError(
        documentClient.send(
          new UpdateCommand({
            TableName,
            Key: { PK: "USER#705", SK: "PROFILE" },
            UpdateExpression: "SET SK = :other",
            ExpressionAttributeValues: { ":other": "OTHER" },
          }),
        ),
        {
          name: "ValidationException",
          message: "One or more parameter values were invalid: Cannot update attribute SK. " +
            "This attribute is part of the key",
        },
      );
    });

    await t.step("expressions: placeholder and reserved word errors", async () => {
      const Key = { PK: { S: "USER#706" }, SK: { S: "PROFILE" } };
      const cases: [ConstructorParameters<typeof UpdateItemCommand>[0], string][] = [
        [
          {
            TableName,
            Key,
            UpdateExpression: "SET city = :city",
            ExpressionAttributeNames: { "#unused": "x" },
            ExpressionAttributeValues: { ":city": { S: "Oslo" } },
          },
          "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
        ],
        [
          {
            TableName,
            Key,
            UpdateExpression: "SET city = :city",
            ExpressionAttributeValues: { ":city": { S: "Oslo" }, ":unused": { S: "x" } },
          },
          "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ],
        [
          {
            TableName,
            Key,
            UpdateExpression: "SET city = :city",
            ConditionExpression: "attribute_exists(#missing)",
            ExpressionAttributeValues: { ":city": { S: "Oslo" } },
          },
          "Invalid ConditionExpression: An expression attribute name used in the document path " +
          "is not defined; attribute name: #missing",
        ],
        [
          { TableName, Key, UpdateExpression: "SET city = :missing" },
          "Invalid UpdateExpression: An expression attribute value used in expression is not " +
          "defined; attribute value: :missing",
        ],
        [
          {
            TableName,
            Key,
            UpdateExpression: "SET name = :name",
            ExpressionAttributeValues: { ":name": { S: "Ada" } },
          },
          "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ],
      ];
      for (const [input, message] of cases) {
        await expectServiceError(client.send(new UpdateItemCommand(input)), {
          name: "ValidationException",
          message,
        });
      }
    });

    await t.step("expressions: syntax error names the token", async () => {
      await expectServiceError(
        client.send(
          new UpdateItemCommand({
            TableName,
            Key: { PK: { S: "USER#707" }, SK: { S: "PROFILE" } },
            UpdateExpression: "SET city town = :city",
            ExpressionAttributeValues: { ":city": { S: "Oslo" } },
          }),
        ),
        {
          name: "ValidationException",
          // DynamoDB quotes the unexpected token and the source text from the token before it to
          // the token after it.
          message: 'Invalid UpdateExpression: Syntax error; token: "town", near: "city town ="',
        },
      );
    });

    await t.step("Query: Limit 0 fails the modelled constraint", async () => {
      await expectServiceError(
        client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "PK = :pk",
            ExpressionAttributeValues: { ":pk": { S: "USER#1" } },
            Limit: 0,
          }),
        ),
        {
          name: "ValidationException",
          message: "1 validation error detected: Value '0' at 'limit' failed to satisfy " +
            "constraint: Member must have value greater than or equal to 1",
        },
      );
    });

    await t.step("Query: key condition on a non-key attribute is rejected", async () => {
      await expectServiceError(
        client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "city = :city",
            ExpressionAttributeValues: { ":city": { S: "Oslo" } },
          }),
        ),
        {
          name: "ValidationException",
          message: "Query condition missed key schema element: PK",
        },
      );
    });

    await t.step("Scan: Segment must be less than TotalSegments", async () => {
      await expectServiceError(
        client.send(new ScanCommand({ TableName, Segment: 2, TotalSegments: 2 })),
        {
          name: "ValidationException",
          message: "The Segment parameter is zero-based and must be less than parameter " +
            "TotalSegments: Segment: 2 is not less than TotalSegments: 2",
        },
      );
    });
  } finally {
    destroy();
    await target.close();
  }
});
