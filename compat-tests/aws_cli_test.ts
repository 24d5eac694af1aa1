/**
 * AWS CLI v2 (`/usr/bin/aws`, Debian package `awscli`) against a real Strata process.
 *
 * Method: one server per file; each step runs `aws dynamodb ... --endpoint-url` with fake
 * credentials and an empty config, parses the JSON output and checks it. Retries are off
 * (`AWS_MAX_ATTEMPTS=1`) so a bad response, including a wrong `x-amz-crc32`, fails the step
 * instead of being retried away. Without `/usr/bin/aws` the test is registered as ignored and its
 * name says why.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startTarget } from "./sdk_support.ts";

const AWS_CLI_PATH = "/usr/bin/aws";
/** Exit code of AWS CLI v2 when the service returns an error. */
const CLI_SERVICE_ERROR_EXIT_CODE = 254;

function cliInstalled(): boolean {
  try {
    return Deno.statSync(AWS_CLI_PATH).isFile;
  } catch {
    return false;
  }
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const testName = cliInstalled()
  ? "AWS CLI dynamodb commands"
  : `AWS CLI dynamodb commands (ignored: ${AWS_CLI_PATH} is not installed)`;

Deno.test({ name: testName, ignore: !cliInstalled() }, async (t) => {
  const target = await startTarget();
  const workDir = await Deno.makeTempDir({ prefix: "strata-cli-" });
  const TableName = `compat_cli_${crypto.randomUUID().slice(0, 8)}`;

  async function aws(args: string[]): Promise<CliResult> {
    const output = await new Deno.Command(AWS_CLI_PATH, {
      args: ["dynamodb", ...args, "--endpoint-url", target.endpoint, "--output", "json"],
      env: {
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_PAGER: "",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
        AWS_CONFIG_FILE: `${workDir}/config`,
        AWS_SHARED_CREDENTIALS_FILE: `${workDir}/credentials`,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  }

  /** Runs a command that must succeed and returns its parsed JSON output. */
  async function awsJson(args: string[]): Promise<Record<string, unknown>> {
    const result = await aws(args);
    assert.equal(result.code, 0, `aws dynamodb ${args[0]} failed: ${result.stderr}`);
    return result.stdout.trim() === "" ? {} : JSON.parse(result.stdout);
  }

  try {
    await t.step("create-table: creates an on-demand table", async () => {
      const output = await awsJson([
        "create-table",
        "--table-name",
        TableName,
        "--attribute-definitions",
        "AttributeName=PK,AttributeType=S",
        "AttributeName=SK,AttributeType=S",
        "--key-schema",
        "AttributeName=PK,KeyType=HASH",
        "AttributeName=SK,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
      ]);
      const description = output.TableDescription as Record<string, unknown>;
      assert.equal(description.TableName, TableName);

      let status = description.TableStatus;
      for (let attempt = 0; attempt < 20 && status !== "ACTIVE"; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const described = await awsJson(["describe-table", "--table-name", TableName]);
        status = (described.Table as Record<string, unknown>).TableStatus;
      }
      assert.equal(status, "ACTIVE");
    });

    await t.step("put-item and get-item: profile round trip", async () => {
      const item = {
        PK: { S: "USER#123" },
        SK: { S: "PROFILE" },
        name: { S: "Ada" },
        tags: { SS: ["admin"] },
      };
      await awsJson(["put-item", "--table-name", TableName, "--item", JSON.stringify(item)]);
      const output = await awsJson([
        "get-item",
        "--table-name",
        TableName,
        "--key",
        JSON.stringify({ PK: item.PK, SK: item.SK }),
        "--consistent-read",
      ]);
      assert.deepEqual(output.Item, item);
    });

    await t.step("batch-write-item: 25 orders from a JSON file", async () => {
      const requests = Array.from({ length: 25 }, (_, index) => ({
        PutRequest: {
          Item: {
            PK: { S: "USER#123" },
            SK: { S: `ORDER#2024-01-${String(index + 1).padStart(2, "0")}` },
            totalCents: { N: String(100 * (index + 1)) },
          },
        },
      }));
      const path = `${workDir}/orders.json`;
      await Deno.writeTextFile(path, JSON.stringify({ [TableName]: requests }));
      const output = await awsJson(["batch-write-item", "--request-items", `file://${path}`]);
      assert.deepEqual(output.UnprocessedItems, {});
    });

    await t.step("query: key condition with begins_with and BETWEEN", async () => {
      const output = await awsJson([
        "query",
        "--table-name",
        TableName,
        "--key-condition-expression",
        "PK = :pk AND SK BETWEEN :from AND :to",
        "--expression-attribute-values",
        JSON.stringify({
          ":pk": { S: "USER#123" },
          ":from": { S: "ORDER#2024-01-10" },
          ":to": { S: "ORDER#2024-01-12" },
        }),
        "--no-scan-index-forward",
      ]);
      const items = output.Items as Record<string, { S: string }>[];
      assert.deepEqual(items.map((item) => item.SK?.S), [
        "ORDER#2024-01-12",
        "ORDER#2024-01-11",
        "ORDER#2024-01-10",
      ]);

      const prefixOutput = await awsJson([
        "query",
        "--table-name",
        TableName,
        "--key-condition-expression",
        "PK = :pk AND begins_with(SK, :prefix)",
        "--expression-attribute-values",
        JSON.stringify({ ":pk": { S: "USER#123" }, ":prefix": { S: "ORDER#" } }),
        "--select",
        "COUNT",
      ]);
      assert.equal(prefixOutput.Count, 25);
    });

    await t.step("update-item: ADD counter returns UPDATED_NEW", async () => {
      const key = JSON.stringify({ PK: { S: "USER#123" }, SK: { S: "PROFILE" } });
      const increment = () =>
        awsJson([
          "update-item",
          "--table-name",
          TableName,
          "--key",
          key,
          "--update-expression",
          "ADD visits :one SET lastSeen = :now",
          "--expression-attribute-values",
          JSON.stringify({ ":one": { N: "1" }, ":now": { S: "2024-01-15" } }),
          "--return-values",
          "UPDATED_NEW",
        ]);
      assert.deepEqual((await increment()).Attributes, {
        visits: { N: "1" },
        lastSeen: { S: "2024-01-15" },
      });
      assert.deepEqual((await increment()).Attributes, {
        visits: { N: "2" },
        lastSeen: { S: "2024-01-15" },
      });
    });

    await t.step("scan: --page-size pages are merged by the CLI", async () => {
      const output = await awsJson(["scan", "--table-name", TableName, "--page-size", "7"]);
      const items = output.Items as Record<string, { S: string }>[];
      const keys = items.map((item) => `${item.PK?.S}|${item.SK?.S}`);
      assert.equal(output.Count, 26);
      assert.equal(new Set(keys).size, 26, "every item appears exactly once");
      assert.equal(output.NextToken, undefined);
    });

    await t.step("scan: --max-items stops with a NextToken", async () => {
      const first = await awsJson([
        "scan",
        "--table-name",
        TableName,
        "--page-size",
        "4",
        "--max-items",
        "10",
      ]);
      assert.equal((first.Items as unknown[]).length, 10);
      assert.equal(typeof first.NextToken, "string");
      const rest = await awsJson([
        "scan",
        "--table-name",
        TableName,
        "--page-size",
        "4",
        "--starting-token",
        first.NextToken as string,
      ]);
      assert.equal((rest.Items as unknown[]).length, 16);
    });

    await t.step("error: missing table exits 254 with the service message", async () => {
      const result = await aws([
        "get-item",
        "--table-name",
        `${TableName}_missing`,
        "--key",
        JSON.stringify({ PK: { S: "a" }, SK: { S: "b" } }),
      ]);
      assert.equal(result.code, CLI_SERVICE_ERROR_EXIT_CODE);
      assert.match(
        result.stderr,
        /An error occurred \(ResourceNotFoundException\) when calling the GetItem operation( \(reached max retries: 0\))?: Requested resource not found/,
      );
    });

    await t.step(
      "error: conditional put exits 254 with ConditionalCheckFailedException",
      async () => {
        const result = await aws([
          "put-item",
          "--table-name",
          TableName,
          "--item",
          JSON.stringify({ PK: { S: "USER#123" }, SK: { S: "PROFILE" } }),
          "--condition-expression",
          "attribute_not_exists(PK)",
        ]);
        assert.equal(result.code, CLI_SERVICE_ERROR_EXIT_CODE);
        assert.match(
          result.stderr,
          /An error occurred \(ConditionalCheckFailedException\) when calling the PutItem operation( \(reached max retries: 0\))?: The conditional request failed/,
        );
      },
    );

    await t.step("delete-table: table is gone afterwards", async () => {
      const output = await awsJson(["delete-table", "--table-name", TableName]);
      assert.equal((output.TableDescription as Record<string, unknown>).TableName, TableName);
      let result = await aws(["describe-table", "--table-name", TableName]);
      for (let attempt = 0; attempt < 20 && result.code === 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        result = await aws(["describe-table", "--table-name", TableName]);
      }
      assert.equal(result.code, CLI_SERVICE_ERROR_EXIT_CODE);
      assert.match(result.stderr, /ResourceNotFoundException/);
    });
  } finally {
    await Deno.remove(workDir, { recursive: true });
    await target.close();
  }
});
