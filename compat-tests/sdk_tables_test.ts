/**
 * AWS SDK v3 against a real Strata process: the table lifecycle (CreateTable, DescribeTable,
 * ListTables, UpdateTable, DeleteTable) and its errors.
 *
 * Method: one server per file. DynamoDB may report CREATING, UPDATING or DELETING before a change
 * settles, so the steps poll DescribeTable for the settled state instead of assuming it. Table
 * names share a random prefix, so ListTables checks hold even against a shared endpoint.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  type ListTablesCommandOutput,
  PutItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  createClients,
  createTableAndWait,
  deleteTableAndWait,
  expectServiceError,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
  waitForTableStatus,
} from "./sdk_support.ts";

Deno.test("table lifecycle through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, destroy } = createClients(target.endpoint);

  try {
    await t.step("CreateTable: returns the description and becomes ACTIVE", async () => {
      const TableName = uniqueTableName("create");
      const created = await client.send(new CreateTableCommand(singleTableDefinition(TableName)));
      const description = created.TableDescription;
      assert.equal(description?.TableName, TableName);
      assert.ok(
        description?.TableStatus === "CREATING" || description?.TableStatus === "ACTIVE",
        `status ${description?.TableStatus}`,
      );
      assert.deepEqual(description?.KeySchema, [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ]);
      assert.equal(description?.BillingModeSummary?.BillingMode, "PAY_PER_REQUEST");
      assert.ok(description?.CreationDateTime instanceof Date);
      assert.match(description?.TableArn ?? "", new RegExp(`:table/${TableName}$`));

      await waitForTableStatus(client, TableName, "ACTIVE");
      const described = await client.send(new DescribeTableCommand({ TableName }));
      assert.equal(described.Table?.TableStatus, "ACTIVE");
      assert.equal(described.Table?.ItemCount, 0);
      assert.deepEqual(
        [...(described.Table?.AttributeDefinitions ?? [])].sort((a, b) =>
          (a.AttributeName ?? "").localeCompare(b.AttributeName ?? "")
        ),
        [
          { AttributeName: "PK", AttributeType: "S" },
          { AttributeName: "SK", AttributeType: "S" },
        ],
      );
    });

    await t.step("CreateTable: existing name is ResourceInUseException", async () => {
      const TableName = uniqueTableName("duplicate");
      await createTableAndWait(client, singleTableDefinition(TableName));
      await expectServiceError(
        client.send(new CreateTableCommand(singleTableDefinition(TableName))),
        {
          name: "ResourceInUseException",
          message: `Table already exists: ${TableName}`,
        },
      );
    });

    await t.step("CreateTable: invalid definitions are ValidationException", async () => {
      await expectServiceError(
        client.send(new CreateTableCommand({ ...singleTableDefinition("ab") })),
        {
          name: "ValidationException",
          message: "TableName must be at least 3 characters long and at most 255 characters long",
        },
      );
      const TableName = uniqueTableName("invalid");
      await expectServiceError(
        client.send(
          new CreateTableCommand({
            TableName,
            AttributeDefinitions: [{ AttributeName: "other", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
          }),
        ),
        {
          name: "ValidationException",
          message: "One or more parameter values were invalid: Some index key attributes are not " +
            "defined in AttributeDefinitions. Keys: [PK], AttributeDefinitions: [other]",
        },
      );
      await expectServiceError(
        client.send(
          new CreateTableCommand({
            ...singleTableDefinition(TableName),
            BillingMode: "PROVISIONED",
          }),
        ),
        {
          name: "ValidationException",
          message: "One or more parameter values were invalid: ReadCapacityUnits and " +
            "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        },
      );
    });

    await t.step("ListTables: Limit and ExclusiveStartTableName page in name order", async () => {
      const prefix = `compat_list_${crypto.randomUUID().slice(0, 8)}_`;
      const names = ["e", "a", "d", "b", "c"].map((suffix) => `${prefix}${suffix}`);
      for (const TableName of names) {
        await createTableAndWait(client, singleTableDefinition(TableName));
      }

      const listed: string[] = [];
      let pageSizes: number[] = [];
      // The prefix itself sorts before every name that extends it, so listing starts there.
      let startName: string | undefined = prefix;
      for (let pageIndex = 0; pageIndex < 50; pageIndex += 1) {
        const page: ListTablesCommandOutput = await client.send(
          new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: startName }),
        );
        const pageNames = page.TableNames ?? [];
        assert.ok(pageNames.length <= 2, `page had ${pageNames.length} names`);
        assert.deepEqual(pageNames, pageNames.toSorted(), "names within a page are sorted");
        if (page.LastEvaluatedTableName !== undefined) {
          assert.equal(page.LastEvaluatedTableName, pageNames.at(-1));
        }
        listed.push(...pageNames.filter((name) => name.startsWith(prefix)));
        pageSizes.push(pageNames.length);
        startName = page.LastEvaluatedTableName;
        if (startName === undefined || !startName.startsWith(prefix)) break;
      }
      assert.deepEqual(listed, names.toSorted());
      pageSizes = pageSizes.slice(0, 2);
      assert.deepEqual(pageSizes, [2, 2]);
    });

    await t.step("ListTables: Limit above 100 is rejected", async () => {
      await expectServiceError(client.send(new ListTablesCommand({ Limit: 101 })), {
        name: "ValidationException",
        message: "1 validation error detected: Value '101' at 'limit' failed to satisfy " +
          "constraint: Member must have value less than or equal to 100",
      });
    });

    await t.step("UpdateTable: switch to PROVISIONED with throughput", async () => {
      const TableName = uniqueTableName("update");
      await createTableAndWait(client, singleTableDefinition(TableName));
      const updated = await client.send(
        new UpdateTableCommand({
          TableName,
          BillingMode: "PROVISIONED",
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 7 },
        }),
      );
      assert.equal(updated.TableDescription?.TableName, TableName);
      await waitForTableStatus(client, TableName, "ACTIVE");

      const described = await client.send(new DescribeTableCommand({ TableName }));
      assert.equal(described.Table?.ProvisionedThroughput?.ReadCapacityUnits, 5);
      assert.equal(described.Table?.ProvisionedThroughput?.WriteCapacityUnits, 7);
      assert.equal(
        described.Table?.BillingModeSummary?.BillingMode ?? "PROVISIONED",
        "PROVISIONED",
      );
    });

    await t.step("UpdateTable: missing table is ResourceNotFoundException", async () => {
      const TableName = uniqueTableName("update_missing");
      await expectServiceError(
        client.send(
          new UpdateTableCommand({
            TableName,
            BillingMode: "PROVISIONED",
            ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
          }),
        ),
        { name: "ResourceNotFoundException", message: /^Requested resource not found/ },
      );
    });

    await t.step("DeleteTable: table disappears and its name is free again", async () => {
      const TableName = uniqueTableName("delete");
      await createTableAndWait(client, singleTableDefinition(TableName));
      await client.send(
        new PutItemCommand({ TableName, Item: { PK: { S: "USER#1" }, SK: { S: "PROFILE" } } }),
      );
      const deleted = await client.send(new DeleteTableCommand({ TableName }));
      assert.equal(deleted.TableDescription?.TableName, TableName);
      await waitForTableStatus(client, TableName, "GONE");

      const notFound = `Requested resource not found: Table: ${TableName} not found`;
      await expectServiceError(client.send(new DescribeTableCommand({ TableName })), {
        name: "ResourceNotFoundException",
        message: notFound,
      });
      await expectServiceError(client.send(new DeleteTableCommand({ TableName })), {
        name: "ResourceNotFoundException",
        message: notFound,
      });
      await expectServiceError(
        client.send(
          new PutItemCommand({ TableName, Item: { PK: { S: "USER#1" }, SK: { S: "PROFILE" } } }),
        ),
        { name: "ResourceNotFoundException", message: "Requested resource not found" },
      );

      await createTableAndWait(client, singleTableDefinition(TableName));
      const stored = await client.send(
        new GetItemCommand({ TableName, Key: { PK: { S: "USER#1" }, SK: { S: "PROFILE" } } }),
      );
      assert.equal(stored.Item, undefined, "a re-created table starts empty");
      await deleteTableAndWait(client, TableName);
    });
  } finally {
    destroy();
    await target.close();
  }
});
