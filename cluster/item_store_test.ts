/**
 * Tests for the item store and key layout on a real storage engine in a temporary directory:
 * Query ranges and parallel-scan segments are checked against brute-force filtering of a model,
 * and concurrent read-modify-writes against a counter.
 */

import assert from "node:assert/strict";
import type { Item } from "../api/attribute_value.ts";
import { openEngine } from "../storage/mod.ts";
import type { TableDefinition } from "./catalog.ts";
import { decodeItem } from "./item_codec.ts";
import { ItemStore } from "./item_store.ts";
import {
  partitionKeyPrefix,
  type SortKeyCondition,
  sortKeyRange,
  TOKEN_SPACE,
} from "./key_layout.ts";

const TABLE: TableDefinition = {
  name: "orders",
  tableId: 20,
  uuid: "00000000-0000-0000-0000-000000000000",
  createdAtMs: 0,
  status: "ACTIVE",
  keySchema: { partitionKey: { name: "pk", type: "S" }, sortKey: { name: "sk", type: "N" } },
  attributeDefinitions: [],
  billingMode: "PAY_PER_REQUEST",
  localIndexes: [],
  globalIndexes: [],
  deletionProtection: false,
  tableClass: "STANDARD",
  tags: {},
};

async function withStore(body: (store: ItemStore) => Promise<void>): Promise<void> {
  const directory = await Deno.makeTempDir({ prefix: "strata-item-store-" });
  const engine = await openEngine({ directory });
  try {
    await body(new ItemStore(engine));
  } finally {
    await engine.close();
    await Deno.remove(directory, { recursive: true });
  }
}

const SORT_VALUES = ["-10", "-1.5", "0", "0.001", "1", "2", "10", "100", "1e3"].map((text) =>
  String(Number(text))
);

async function fill(store: ItemStore): Promise<void> {
  for (const pk of ["a", "ab", "b"]) {
    for (const sk of SORT_VALUES) {
      const item: Item = { pk: { S: pk }, sk: { N: sk }, v: { S: `${pk}/${sk}` } };
      await store.write(TABLE, item, () => ({ item, result: null }));
    }
  }
}

async function queryValues(
  store: ItemStore,
  pk: string,
  condition: SortKeyCondition | undefined,
  reverse: boolean,
): Promise<number[]> {
  const range = sortKeyRange(partitionKeyPrefix(TABLE.tableId, { S: pk }), condition);
  const snapshot = store.snapshot();
  const values: number[] = [];
  try {
    for await (const entry of store.queryRange(range, reverse, snapshot)) {
      const item = decodeItem(entry.value);
      assert.deepEqual(item.pk, { S: pk });
      values.push(Number((item.sk as { N: string }).N));
    }
  } finally {
    snapshot.release();
  }
  return values;
}

Deno.test("ItemStore query ranges match brute force", async () => {
  await withStore(async (store) => {
    await fill(store);
    const all = SORT_VALUES.map(Number).sort((x, y) => x - y);
    const cases: Array<[SortKeyCondition | undefined, (value: number) => boolean]> = [
      [undefined, () => true],
      [{ operator: "=", values: [{ N: "1" }] }, (value) => value === 1],
      [{ operator: "<", values: [{ N: "1" }] }, (value) => value < 1],
      [{ operator: "<=", values: [{ N: "1" }] }, (value) => value <= 1],
      [{ operator: ">", values: [{ N: "0" }] }, (value) => value > 0],
      [{ operator: ">=", values: [{ N: "0" }] }, (value) => value >= 0],
      [{ operator: "BETWEEN", values: [{ N: "-1.5" }, { N: "10" }] }, (v) => v >= -1.5 && v <= 10],
    ];
    for (const [condition, predicate] of cases) {
      const expected = all.filter(predicate);
      assert.deepEqual(await queryValues(store, "a", condition, false), expected);
      assert.deepEqual(await queryValues(store, "a", condition, true), [...expected].reverse());
    }
  });
});

Deno.test("ItemStore begins_with range on string sort keys", async () => {
  const table: TableDefinition = {
    ...TABLE,
    tableId: 21,
    keySchema: { partitionKey: { name: "pk", type: "S" }, sortKey: { name: "sk", type: "S" } },
  };
  await withStore(async (store) => {
    const sortKeys = ["ORDER", "ORDER#1", "ORDER#2", "ORDER\u0000x", "ORDES", "ORD", "PROFILE"];
    for (const sk of sortKeys) {
      const item: Item = { pk: { S: "u" }, sk: { S: sk } };
      await store.write(table, item, () => ({ item, result: null }));
    }
    for (const prefix of ["ORDER", "ORDER#", "ORD", "P", "Q", "ORDER\u0000"]) {
      const range = sortKeyRange(partitionKeyPrefix(table.tableId, { S: "u" }), {
        operator: "begins_with",
        values: [{ S: prefix }],
      });
      const snapshot = store.snapshot();
      const found: string[] = [];
      for await (const entry of store.queryRange(range, false, snapshot)) {
        const item = decodeItem(entry.value);
        found.push((item.sk as { S: string }).S);
      }
      snapshot.release();
      const expected = sortKeys.filter((sk) => sk.startsWith(prefix)).sort();
      assert.deepEqual(found.sort(), expected, `prefix ${JSON.stringify(prefix)}`);
    }
  });
});

Deno.test("ItemStore scan segments partition the table", async () => {
  await withStore(async (store) => {
    await fill(store);
    const total = 7;
    const seen: string[] = [];
    for (let segment = 0; segment < total; segment++) {
      const start = (BigInt(segment) * TOKEN_SPACE) / BigInt(total);
      const end = (BigInt(segment + 1) * TOKEN_SPACE) / BigInt(total);
      const snapshot = store.snapshot();
      for await (const entry of store.scanTokens(TABLE.tableId, start, end, snapshot)) {
        const item = decodeItem(entry.value);
        seen.push((item.v as { S: string }).S);
      }
      snapshot.release();
    }
    assert.equal(seen.length, 3 * SORT_VALUES.length);
    assert.equal(new Set(seen).size, seen.length);
  });
});

Deno.test("ItemStore serialises concurrent increments", async () => {
  await withStore(async (store) => {
    const key: Item = { pk: { S: "counter" }, sk: { N: "0" } };
    const increments = 40;
    await Promise.all(
      Array.from({ length: increments }, () =>
        store.write(TABLE, key, (current) => {
          const count = current ? Number((current.count as { N: string }).N) : 0;
          return { item: { ...key, count: { N: String(count + 1) } }, result: null };
        })),
    );
    const stored = await store.get(TABLE, key);
    assert.deepEqual(stored?.count, { N: String(increments) });
    assert.equal(store.statistics(TABLE.tableId).itemCount, 1);
  });
});

Deno.test("ItemStore rejected decide writes nothing", async () => {
  await withStore(async (store) => {
    const first: Item = { pk: { S: "x" }, sk: { N: "1" } };
    const second: Item = { pk: { S: "y" }, sk: { N: "1" } };
    await assert.rejects(
      store.writeAtomically([
        { table: TABLE, key: first, decide: () => ({ item: first, result: null }) },
        {
          table: TABLE,
          key: second,
          decide: () => {
            throw new Error("condition failed");
          },
        },
      ]),
      /condition failed/,
    );
    assert.equal(await store.get(TABLE, first), undefined);
  });
});

Deno.test("ItemStore skips the current item only when asked", async () => {
  await withStore(async (store) => {
    const key: Item = { pk: { S: "skip" }, sk: { N: "1" } };
    const first: Item = { ...key, note: { S: "first" } };
    const second: Item = { ...key, note: { S: "second, longer" } };
    await store.write(TABLE, key, () => ({ item: first, result: null }));

    let seen: Item | undefined = first;
    await store.write(TABLE, key, (current) => {
      seen = current;
      return { item: second, result: null };
    }, { ignoresCurrent: true });
    assert.equal(seen, undefined, "decide got no current item");
    assert.deepEqual(await store.get(TABLE, key), second);
    // Statistics follow the stored bytes, not the decoded item.
    assert.equal(store.statistics(TABLE.tableId).itemCount, 1);

    await store.write(TABLE, key, (current) => {
      seen = current;
      return { item: first, result: null };
    });
    assert.deepEqual(seen, second, "decide got the current item by default");
  });
});
