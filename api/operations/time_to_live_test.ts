/**
 * Tests for the time-to-live sweeper on a real database in a temporary directory: expired items
 * are deleted, live ones and items without a numeric expiry are kept.
 */

import assert from "node:assert/strict";
import type { Item } from "../attribute_value.ts";
import { Database } from "../../cluster/database.ts";
import { silentLogger } from "../../util/logger.ts";
import type { OperationContext } from "./context.ts";
import { createTable } from "./create_table.ts";
import { isExpired, sweepExpiredItems } from "./time_to_live.ts";

Deno.test("isExpired reads epoch seconds", () => {
  assert.equal(isExpired({ t: { N: "100" } }, "t", 200), true);
  assert.equal(isExpired({ t: { N: "300" } }, "t", 200), false);
  assert.equal(isExpired({ t: { S: "100" } }, "t", 200), false);
  assert.equal(isExpired({}, "t", 200), false);
  assert.equal(isExpired(undefined, "t", 200), false);
});

Deno.test("sweepExpiredItems deletes only expired items", async () => {
  const directory = await Deno.makeTempDir({ prefix: "strata-ttl-" });
  const database = await Database.open({ dataDirectory: directory, logger: silentLogger });
  try {
    const context: OperationContext = {
      requestId: "test",
      host: "localhost",
      catalog: database.catalog,
      items: database.items,
      logger: silentLogger,
      purgeKeySpaces: () => {},
    };
    await createTable({
      TableName: "sessions",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }, context);
    const table = database.catalog.get("sessions")!;
    await database.catalog.put({
      ...table,
      timeToLive: { attributeName: "expiresAt", enabled: true },
    });
    const enabled = database.catalog.get("sessions")!;
    const items: Item[] = [
      { id: { S: "old" }, expiresAt: { N: "1000" } },
      { id: { S: "new" }, expiresAt: { N: "3000" } },
      { id: { S: "text" }, expiresAt: { S: "1000" } },
      { id: { S: "none" } },
    ];
    for (const item of items) {
      await database.items.write(enabled, item, () => ({ item, result: null }));
    }

    const deleted = await sweepExpiredItems(context, 2000);

    assert.equal(deleted, 1);
    assert.equal(await database.items.get(enabled, { id: { S: "old" } }), undefined);
    for (const id of ["new", "text", "none"]) {
      assert.notEqual(await database.items.get(enabled, { id: { S: id } }), undefined, id);
    }
  } finally {
    await database.close();
    await Deno.remove(directory, { recursive: true });
  }
});
