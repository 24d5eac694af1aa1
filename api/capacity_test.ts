/**
 * Tests for capacity-unit arithmetic. Method: the examples from DynamoDB's developer guide and the
 * cases ScyllaDB's Alternator tests check against DynamoDB, as tables of sizes and units.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  batchReadCapacityUnits,
  consumedCapacity,
  indexWriteCapacityUnits,
  readCapacityUnits,
  writeCapacityUnits,
} from "./capacity.ts";

const KB = 1024;

Deno.test("readCapacityUnits rounds up to 4 KB", () => {
  const cases: [number, "eventual" | "strong" | "transactional", number][] = [
    [0, "strong", 1],
    [0, "eventual", 0.5],
    [1, "strong", 1],
    [3500, "strong", 1],
    [4 * KB, "strong", 1],
    [4 * KB + 1, "strong", 2],
    [4 * KB + 1, "eventual", 1],
    [8 * KB, "strong", 2],
    [8 * KB, "eventual", 1],
    [8 * KB, "transactional", 4],
    [10 * KB, "strong", 3],
  ];
  for (const [sizeBytes, consistency, units] of cases) {
    assert.equal(readCapacityUnits(sizeBytes, consistency), units, `${sizeBytes} ${consistency}`);
  }
});

Deno.test("batchReadCapacityUnits rounds each item", () => {
  assert.equal(batchReadCapacityUnits([1.5 * KB, 6.5 * KB], "strong"), 3);
  assert.equal(batchReadCapacityUnits([100, 100, 100, 100, 100], "strong"), 5);
  assert.equal(batchReadCapacityUnits([100, 100, 100], "eventual"), 1.5);
  assert.equal(batchReadCapacityUnits([], "strong"), 0);
  // A Query reads the same sizes but rounds once.
  assert.equal(readCapacityUnits(1.5 * KB + 6.5 * KB, "strong"), 2);
});

Deno.test("writeCapacityUnits charges the larger item", () => {
  const cases: [number, number, boolean, number][] = [
    [0, 10, false, 1],
    [0, KB, false, 1],
    [0, KB + 1, false, 2],
    // A put that shrinks a 2 KB item is charged for the old item.
    [2 * KB + 50, 30, false, 3],
    // A delete of a missing item, and of a 2 KB + 1 item.
    [0, 0, false, 1],
    [2 * KB + 1, 0, false, 3],
    [0, 10, true, 2],
    [KB + 1, 0, true, 4],
  ];
  for (const [oldSizeBytes, newSizeBytes, transactional, units] of cases) {
    assert.equal(
      writeCapacityUnits(oldSizeBytes, newSizeBytes, { transactional }),
      units,
      `${oldSizeBytes} ${newSizeBytes} ${transactional}`,
    );
  }
});

Deno.test("indexWriteCapacityUnits counts index writes", () => {
  assert.equal(indexWriteCapacityUnits(undefined, undefined, false), 0);
  assert.equal(indexWriteCapacityUnits(undefined, 100, false), 1);
  assert.equal(indexWriteCapacityUnits(1500, undefined, false), 2);
  assert.equal(indexWriteCapacityUnits(100, 200, false), 1);
  assert.equal(indexWriteCapacityUnits(100, 200, true), 2);
  assert.equal(indexWriteCapacityUnits(1500, 200, true), 3);
});

Deno.test("consumedCapacity builds TOTAL and INDEXES shapes", () => {
  assert.deepEqual(consumedCapacity("Music", { kind: "read", tableUnits: 0.5 }, "TOTAL"), {
    TableName: "Music",
    CapacityUnits: 0.5,
    ReadCapacityUnits: 0.5,
  });

  const usage = {
    kind: "write" as const,
    tableUnits: 1,
    globalSecondaryIndexUnits: { ByArtist: 1, ByYear: 2 },
    localSecondaryIndexUnits: {},
  };
  assert.deepEqual(consumedCapacity("Music", usage, "TOTAL"), {
    TableName: "Music",
    CapacityUnits: 4,
    WriteCapacityUnits: 4,
  });
  assert.deepEqual(consumedCapacity("Music", usage, "INDEXES"), {
    TableName: "Music",
    CapacityUnits: 4,
    WriteCapacityUnits: 4,
    Table: { CapacityUnits: 1, WriteCapacityUnits: 1 },
    GlobalSecondaryIndexes: {
      ByArtist: { CapacityUnits: 1, WriteCapacityUnits: 1 },
      ByYear: { CapacityUnits: 2, WriteCapacityUnits: 2 },
    },
  });
});
