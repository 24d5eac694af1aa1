/**
 * AWS SDK v3 against a real Strata process: Scan, alone and split with Segment/TotalSegments.
 *
 * Method: one server per file; 150 items spread over 50 partition keys, then every way of
 * scanning them (one pass with small pages, and parallel scans with 1, 4 and 7 segments, each
 * segment paginated) must return each item exactly once.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BatchWriteItemCommand,
  ScanCommand,
  type ScanCommandInput,
} from "@aws-sdk/client-dynamodb";
import {
  createClients,
  createTableAndWait,
  singleTableDefinition,
  startTarget,
  uniqueTableName,
} from "./sdk_support.ts";

const PARTITION_COUNT = 50;
const ITEMS_PER_PARTITION = 3;
/** Upper bound on pages per scan, so a server that never ends pagination fails the test. */
const SCAN_PAGE_MAX = 500;

Deno.test("Scan through the AWS SDK", async (t) => {
  const target = await startTarget();
  const { client, destroy } = createClients(target.endpoint);
  const TableName = uniqueTableName("scan");

  /** Returns the `PK|SK` of every item a paginated scan returns, duplicates kept. */
  async function scanKeys(input: Omit<ScanCommandInput, "TableName">): Promise<string[]> {
    const keys: string[] = [];
    let startKey: ScanCommandInput["ExclusiveStartKey"];
    for (let pageIndex = 0; pageIndex < SCAN_PAGE_MAX; pageIndex += 1) {
      const page = await client.send(
        new ScanCommand({ ...input, TableName, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) keys.push(`${item.PK?.S}|${item.SK?.S}`);
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) return keys;
    }
    throw new Error(`Scan returned more than ${SCAN_PAGE_MAX} pages`);
  }

  const expectedKeys: string[] = [];
  try {
    await createTableAndWait(client, singleTableDefinition(TableName));
    const requests = [];
    for (let partition = 0; partition < PARTITION_COUNT; partition += 1) {
      for (let index = 0; index < ITEMS_PER_PARTITION; index += 1) {
        const PK = `USER#${partition}`;
        const SK = `ORDER#${index}`;
        expectedKeys.push(`${PK}|${SK}`);
        requests.push({
          PutRequest: { Item: { PK: { S: PK }, SK: { S: SK }, amount: { N: String(index) } } },
        });
      }
    }
    for (let start = 0; start < requests.length; start += 25) {
      await client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: requests.slice(start, start + 25) },
        }),
      );
    }
    expectedKeys.sort();

    await t.step("Scan: Limit pages cover every item once", async () => {
      const keys = await scanKeys({ Limit: 7 });
      assert.equal(keys.length, expectedKeys.length);
      assert.deepEqual([...keys].sort(), expectedKeys);
    });

    for (const totalSegments of [1, 4, 7, 64]) {
      await t.step(`Scan: ${totalSegments} segments cover every item once`, async () => {
        const perSegment = await Promise.all(
          Array.from(
            { length: totalSegments },
            (_, segment) => scanKeys({ Segment: segment, TotalSegments: totalSegments, Limit: 11 }),
          ),
        );
        const keys = perSegment.flat();
        assert.equal(keys.length, expectedKeys.length, "no item may appear twice");
        assert.deepEqual([...keys].sort(), expectedKeys);
        for (const [segment, segmentKeys] of perSegment.entries()) {
          const partitions = new Set(segmentKeys.map((key) => key.split("|")[0]));
          for (const [otherSegment, otherKeys] of perSegment.entries()) {
            if (otherSegment === segment) continue;
            const shared = otherKeys.filter((key) => partitions.has(key.split("|")[0]));
            assert.deepEqual(
              shared,
              [],
              `segments ${segment} and ${otherSegment} share a partition key`,
            );
          }
        }
      });
    }

    await t.step("Scan: FilterExpression with Select COUNT", async () => {
      const result = await client.send(
        new ScanCommand({
          TableName,
          FilterExpression: "amount = :two",
          ExpressionAttributeValues: { ":two": { N: "2" } },
          Select: "COUNT",
        }),
      );
      assert.equal(result.Count, PARTITION_COUNT);
      assert.equal(result.ScannedCount, expectedKeys.length);
      assert.equal(result.Items, undefined);
    });
  } finally {
    destroy();
    await target.close();
  }
});
