/**
 * Tests of applying update expressions, one table row per behaviour that ScyllaDB's test suite
 * observed on DynamoDB: reads before writes, list index semantics, ADD and DELETE on numbers and
 * sets, invalid document paths and operand type errors, with exact messages.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AttributeValue, Item } from "../attribute_value.ts";
import { selectPaths } from "./projection.ts";
import { applyUpdate, updateCreatesItem } from "./update_apply.ts";
import { parseUpdate } from "./update_parser.ts";
import { attributesOf, n, type Placeholders, s, validationMessageOf } from "./test_support.ts";

/** Builds a list of strings or numbers (numbers given as JavaScript numbers). */
function list(...elements: (string | number)[]): AttributeValue {
  return {
    L: elements.map((element) => typeof element === "number" ? n(`${element}`) : s(element)),
  };
}

interface ApplyCase {
  name: string;
  item: Item;
  expression: string;
  placeholders?: Placeholders;
  expected: Item;
  itemExists?: boolean;
}

const KEY = { p: s("key") };

const APPLY_CASES: ApplyCase[] = [
  {
    name: "SET merges into the item",
    item: { ...KEY, a: s("hi") },
    expression: "SET b = :v",
    placeholders: { values: { ":v": s("hello") } },
    expected: { ...KEY, a: s("hi"), b: s("hello") },
  },
  {
    name: "SET copies an attribute",
    item: { ...KEY, a: s("hello") },
    expression: "SET b = a, a = a",
    expected: { ...KEY, a: s("hello"), b: s("hello") },
  },
  {
    name: "SET reads the item before any action writes",
    item: { ...KEY, a: s("hello") },
    expression: "REMOVE a SET b = a",
    expected: { ...KEY, b: s("hello") },
  },
  {
    name: "SET swaps two attributes",
    item: { ...KEY, a: n("1"), b: n("2") },
    expression: "SET a = b, b = a",
    expected: { ...KEY, a: n("2"), b: n("1") },
  },
  {
    name: "SET adds and subtracts numbers",
    item: { ...KEY, a: n("2"), b: n("10") },
    expression: "SET a = a + :v, b = :v - b, c = a + b",
    placeholders: { values: { ":v": n("3") } },
    expected: { ...KEY, a: n("5"), b: n("-7"), c: n("12") },
  },
  {
    name: "SET adds decimals exactly",
    item: { ...KEY, a: n("0.1") },
    expression: "SET a = a + :v",
    placeholders: { values: { ":v": n("0.2") } },
    expected: { ...KEY, a: n("0.3") },
  },
  {
    name: "list_append concatenates in either order",
    item: { ...KEY, a: list("hi", 2) },
    expression: "SET a = list_append(a, :v), b = list_append(:v, a)",
    placeholders: { values: { ":v": list(4, "hello") } },
    expected: { ...KEY, a: list("hi", 2, 4, "hello"), b: list(4, "hello", "hi", 2) },
  },
  {
    name: "if_not_exists sets a missing attribute only",
    item: { ...KEY, a: n("2") },
    expression: "SET a = if_not_exists(a, :v), b = if_not_exists(c, :v), d = if_not_exists(a, :v)",
    placeholders: { values: { ":v": n("3") } },
    expected: { ...KEY, a: n("2"), b: n("3"), d: n("2") },
  },
  {
    name: "if_not_exists inside list_append starts a list",
    item: { ...KEY },
    expression: "SET l = list_append(if_not_exists(l, :empty), :v)",
    placeholders: { values: { ":empty": { L: [] }, ":v": list("x") } },
    expected: { ...KEY, l: list("x") },
  },
  {
    name: "ADD adds to a number",
    item: { ...KEY, a: n("3") },
    expression: "ADD a :v",
    placeholders: { values: { ":v": n("-4") } },
    expected: { ...KEY, a: n("-1") },
  },
  {
    name: "ADD creates a missing number",
    item: { ...KEY },
    expression: "ADD b :v",
    placeholders: { values: { ":v": n("7") } },
    expected: { ...KEY, b: n("7") },
  },
  {
    name: "ADD unions sets without duplicates",
    item: { ...KEY, a: { SS: ["beaver", "lynx", "coati"] }, b: { NS: ["1", "2"] } },
    expression: "ADD a :ss, b :ns",
    placeholders: {
      values: { ":ss": { SS: ["coati", "beaver", "badger"] }, ":ns": { NS: ["2.0", "3"] } },
    },
    expected: {
      ...KEY,
      a: { SS: ["beaver", "lynx", "coati", "badger"] },
      b: { NS: ["1", "2", "3"] },
    },
  },
  {
    name: "ADD creates a missing set",
    item: { ...KEY },
    expression: "ADD b :v",
    placeholders: { values: { ":v": { SS: ["dog"] } } },
    expected: { ...KEY, b: { SS: ["dog"] } },
  },
  {
    name: "ADD works on a nested attribute",
    item: { ...KEY, counts: { M: { hits: n("1") } } },
    expression: "ADD counts.hits :v, counts.misses :v",
    placeholders: { values: { ":v": n("1") } },
    expected: { ...KEY, counts: { M: { hits: n("2"), misses: n("1") } } },
  },
  {
    name: "DELETE subtracts from a set",
    item: { ...KEY, a: { SS: ["dog", "cat", "mouse"] }, b: s("hi") },
    expression: "DELETE a :v",
    placeholders: { values: { ":v": { SS: ["cat", "mouse", "pig"] } } },
    expected: { ...KEY, a: { SS: ["dog"] }, b: s("hi") },
  },
  {
    name: "DELETE of every element removes the attribute",
    item: { ...KEY, a: { NS: ["1", "2"] }, b: s("hi") },
    expression: "DELETE a :v",
    placeholders: { values: { ":v": { NS: ["2", "1.0"] } } },
    expected: { ...KEY, b: s("hi") },
  },
  {
    name: "DELETE from a missing attribute does nothing",
    item: { ...KEY, b: s("hi") },
    expression: "DELETE a :v",
    placeholders: { values: { ":v": { SS: ["dog"] } } },
    expected: { ...KEY, b: s("hi") },
  },
  {
    name: "SET writes nested map entries",
    item: {
      ...KEY,
      a: { M: { x: n("3"), y: n("4"), c: { M: { y: n("3") } } } },
      b: { M: { x: n("1"), y: n("2") } },
    },
    expression: "SET a.b = :v1, a.c.d = :v2, b.x = :v3 REMOVE a.x, b.y",
    placeholders: { values: { ":v1": n("10"), ":v2": s("dog"), ":v3": n("17") } },
    expected: {
      ...KEY,
      a: { M: { y: n("4"), c: { M: { y: n("3"), d: s("dog") } }, b: n("10") } },
      b: { M: { x: n("17") } },
    },
  },
  {
    name: "SET replaces a list element",
    item: { ...KEY, a: list("one", "two", "three") },
    expression: "SET a[1] = :v",
    placeholders: { values: { ":v": s("hello") } },
    expected: { ...KEY, a: list("one", "hello", "three") },
  },
  {
    name: "SET follows deep paths through lists and maps",
    item: {
      ...KEY,
      a: { M: { b: n("3"), c: { L: [s("hi"), { M: { x: { M: { y: list(3, 5, 7) } } } }] } } },
    },
    expression: "SET a.c[1].#name.y[1] = :v, a.z = a.c[1].#name.y[2]",
    placeholders: { names: { "#name": "x" }, values: { ":v": n("9") } },
    expected: {
      ...KEY,
      a: {
        M: { b: n("3"), c: { L: [s("hi"), { M: { x: { M: { y: list(3, 9, 7) } } } }] }, z: n("7") },
      },
    },
  },
  {
    name: "SET past the end of a list appends",
    item: { ...KEY, a: list("one", "two", "three") },
    expression: "SET a[7] = :v",
    placeholders: { values: { ":v": s("hello") } },
    expected: { ...KEY, a: list("one", "two", "three", "hello") },
  },
  {
    name: "SET appends several elements in index order",
    item: { ...KEY, a: list("one", "two", "three", "hello") },
    expression: "SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4",
    placeholders: { values: { ":v1": s("a1"), ":v2": s("a2"), ":v3": s("a3"), ":v4": s("a4") } },
    expected: { ...KEY, a: list("one", "two", "three", "hello", "a3", "a2", "a4", "a1") },
  },
  {
    name: "REMOVE of list elements uses indexes from before the update",
    item: { ...KEY, a: list(2, 3, 4, 5, 6, 7) },
    expression: "REMOVE a[1] SET a[3] = :v",
    placeholders: { values: { ":v": n("17") } },
    expected: { ...KEY, a: list(2, 4, 17, 6, 7) },
  },
  {
    name: "REMOVE of several list elements shifts once",
    item: { ...KEY, a: list(0, 1, 2, 3, 4) },
    expression: "REMOVE a[3], a[1], a[0]",
    expected: { ...KEY, a: list(2, 4) },
  },
  {
    name: "REMOVE of nested values and list elements",
    item: {
      ...KEY,
      a: {
        M: { b: n("3"), c: { L: [s("hi"), { M: { x: { M: { y: list(3, 5, 7) } }, q: n("2") } }] } },
      },
    },
    expression: "REMOVE a.c[1].x.y[1], a.c[1].q",
    expected: {
      ...KEY,
      a: { M: { b: n("3"), c: { L: [s("hi"), { M: { x: { M: { y: list(3, 7) } } } }] } } },
    },
  },
  {
    name: "REMOVE of something missing does nothing",
    item: { ...KEY, a: { M: { x: n("3") } }, b: list("hi") },
    expression: "REMOVE a.y, b[7], c",
    expected: { ...KEY, a: { M: { x: n("3") } }, b: list("hi") },
  },
  {
    name: "REMOVE leaves an empty map or list",
    item: { ...KEY, a: { M: { b: n("1") } }, l: list(1) },
    expression: "REMOVE a.b, l[0]",
    expected: { ...KEY, a: { M: {} }, l: { L: [] } },
  },
  {
    name: "REMOVE below a missing attribute of an absent item does nothing",
    item: { ...KEY },
    expression: "REMOVE x.y, z[0]",
    expected: { ...KEY },
    itemExists: false,
  },
  {
    name: "SET of an empty list, map and string",
    item: { ...KEY },
    expression: "SET d = :l, e = :m, f = :s",
    placeholders: { values: { ":l": { L: [] }, ":m": { M: {} }, ":s": s("") } },
    expected: { ...KEY, d: { L: [] }, e: { M: {} }, f: s("") },
  },
  {
    name: "SET of a name with a dot writes a top-level attribute",
    item: { ...KEY },
    expression: "SET #a = :v",
    placeholders: { names: { "#a": "a.b" }, values: { ":v": n("3") } },
    expected: { ...KEY, "a.b": n("3") },
  },
];

Deno.test("applyUpdate follows DynamoDB's update semantics", () => {
  for (const testCase of APPLY_CASES) {
    const update = parseUpdate(testCase.expression, attributesOf(testCase.placeholders));
    const before = structuredClone(testCase.item);
    const result = applyUpdate(testCase.item, update, ["p"], {
      itemExists: testCase.itemExists ?? true,
    });
    assert.deepEqual(result.item, testCase.expected, testCase.name);
    assert.deepEqual(testCase.item, before, `${testCase.name}: input unchanged`);
  }
});

interface ErrorCase {
  name: string;
  item: Item;
  expression: string;
  placeholders?: Placeholders;
  message: string;
  itemExists?: boolean;
}

const INVALID_PATH = "The document path provided in the update expression is invalid for update";
const INCORRECT_TYPE = "An operand in the update expression has an incorrect data type";
const MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in " +
  "the item";
const BASE: Item = { ...KEY, a: s("hello"), b: list("hi"), n: n("1"), ss: { SS: ["x"] } };

const ERROR_CASES: ErrorCase[] = [
  {
    name: "copy of a missing attribute",
    item: BASE,
    expression: "SET c = z",
    message: MISSING_ATTRIBUTE,
  },
  {
    name: "copy of an attribute written by the same update",
    item: BASE,
    expression: "SET x = :v, y = x",
    placeholders: { values: { ":v": n("4") } },
    message: MISSING_ATTRIBUTE,
  },
  {
    name: "sum with a missing attribute",
    item: BASE,
    expression: "SET c = z + :v",
    placeholders: { values: { ":v": n("4") } },
    message: MISSING_ATTRIBUTE,
  },
  {
    name: "sum with a string attribute",
    item: BASE,
    expression: "SET c = a + :v",
    placeholders: { values: { ":v": n("4") } },
    message: INCORRECT_TYPE,
  },
  {
    name: "list_append of a missing attribute",
    item: BASE,
    expression: "SET c = list_append(z, :v)",
    placeholders: { values: { ":v": list(1) } },
    message: MISSING_ATTRIBUTE,
  },
  {
    name: "list_append of a string attribute",
    item: BASE,
    expression: "SET c = list_append(:v, a)",
    placeholders: { values: { ":v": list(1) } },
    message: INCORRECT_TYPE,
  },
  {
    name: "ADD of a number to a string",
    item: BASE,
    expression: "ADD a :v",
    placeholders: { values: { ":v": n("1") } },
    message: INCORRECT_TYPE,
  },
  {
    name: "ADD of a set to a list",
    item: BASE,
    expression: "ADD b :v",
    placeholders: { values: { ":v": { SS: ["y"] } } },
    message: INCORRECT_TYPE,
  },
  {
    name: "ADD of a number set to a string set",
    item: BASE,
    expression: "ADD ss :v",
    placeholders: { values: { ":v": { NS: ["1"] } } },
    message: INCORRECT_TYPE,
  },
  {
    name: "DELETE of a number set from a string set",
    item: BASE,
    expression: "DELETE ss :v",
    placeholders: { values: { ":v": { NS: ["1"] } } },
    message: INCORRECT_TYPE,
  },
  {
    name: "DELETE from a number",
    item: BASE,
    expression: "DELETE n :v",
    placeholders: { values: { ":v": { NS: ["1"] } } },
    message: INCORRECT_TYPE,
  },
  {
    name: "SET below a string",
    item: BASE,
    expression: "SET a.c = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  {
    name: "SET of a key below a list",
    item: BASE,
    expression: "SET b.c = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  {
    name: "SET below a missing attribute",
    item: BASE,
    expression: "SET c.c = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  {
    name: "SET below a missing attribute of an absent item",
    item: KEY,
    expression: "SET c.c = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
    itemExists: false,
  },
  {
    name: "SET of an index of a string",
    item: BASE,
    expression: "SET a[0] = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  {
    name: "SET of an index of a missing attribute",
    item: BASE,
    expression: "SET z[0] = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  {
    name: "SET below a list element past the end",
    item: BASE,
    expression: "SET b[5].x = :v",
    placeholders: { values: { ":v": n("7") } },
    message: INVALID_PATH,
  },
  { name: "REMOVE below a string", item: BASE, expression: "REMOVE a.c", message: INVALID_PATH },
  {
    name: "REMOVE of a key below a list",
    item: BASE,
    expression: "REMOVE b.c",
    message: INVALID_PATH,
  },
  {
    name: "REMOVE below a missing attribute",
    item: BASE,
    expression: "REMOVE c.c",
    message: INVALID_PATH,
  },
  {
    name: "REMOVE of an index of a string",
    item: BASE,
    expression: "REMOVE a[0]",
    message: INVALID_PATH,
  },
  {
    name: "ADD below a missing attribute",
    item: BASE,
    expression: "ADD c.d :v",
    placeholders: { values: { ":v": n("1") } },
    message: INVALID_PATH,
  },
  {
    name: "sum above the number range",
    item: BASE,
    expression: "SET c = :big + :big",
    placeholders: { values: { ":big": n("9.9999999999999999999999999999999999999E+125") } },
    message: "Number overflow. Attempting to store a number with magnitude larger than supported " +
      "range",
  },
  {
    name: "update of the partition key",
    item: BASE,
    expression: "SET p = :v",
    placeholders: { values: { ":v": n("1") } },
    message: "One or more parameter values were invalid: Cannot update attribute p. This " +
      "attribute is part of the key",
  },
];

Deno.test("applyUpdate reports DynamoDB's errors", () => {
  for (const testCase of ERROR_CASES) {
    const update = parseUpdate(testCase.expression, attributesOf(testCase.placeholders));
    const message = validationMessageOf(() =>
      applyUpdate(testCase.item, update, ["p"], { itemExists: testCase.itemExists ?? true })
    );
    assert.equal(message, testCase.message, testCase.name);
  }
});

Deno.test("applyUpdate returns the paths it changed", () => {
  const item: Item = { ...KEY, a: list("x"), m: { M: { k: n("1") } }, gone: n("1") };
  const update = parseUpdate(
    "SET a[5] = :v, m.k = :v, z = :v REMOVE gone ADD c :v",
    attributesOf({ values: { ":v": n("2") } }),
  );
  const { updatedPaths } = applyUpdate(item, update, ["p"]);
  assert.deepEqual(updatedPaths, [["a", 5], ["m", "k"], ["z"], ["gone"], ["c"]]);
});

Deno.test("updateCreatesItem is false for updates that only remove", () => {
  const attributes = attributesOf({ values: { ":v": n("1"), ":s": { SS: ["x"] } } });
  assert.equal(updateCreatesItem(parseUpdate("REMOVE a, b.c", attributes)), false);
  assert.equal(updateCreatesItem(parseUpdate("REMOVE a SET b = :v", attributes)), true);
  assert.equal(updateCreatesItem(parseUpdate("DELETE a :s", attributes)), true);
  assert.equal(updateCreatesItem({ actions: [] }), true);
});

Deno.test("applyUpdate writes an attribute named __proto__ as data", () => {
  const update = parseUpdate(
    "SET #p = :v, m.#p = :v",
    attributesOf({ names: { "#p": "__proto__" }, values: { ":v": n("1") } }),
  );
  const { item } = applyUpdate({ ...KEY, m: { M: {} } }, update, ["p"]);
  assert.equal(
    JSON.stringify(item),
    '{"p":{"S":"key"},"m":{"M":{"__proto__":{"N":"1"}}},"__proto__":{"N":"1"}}',
  );
  assert.equal(Object.getPrototypeOf(item), Object.prototype);
});

Deno.test("updated paths select ReturnValues as DynamoDB does", () => {
  const item: Item = { ...KEY, a: { M: { b: s("dog"), c: list(1, 2, 3) } }, d: s("cat") };
  const run = (expression: string, before: Item) => {
    const update = parseUpdate(expression, attributesOf({ values: { ":v": n("70") } }));
    const result = applyUpdate(before, update, ["p"]);
    return {
      item: result.item,
      updatedOld: selectPaths(before, result.updatedPaths),
      updatedNew: selectPaths(result.item, result.updatedPaths),
    };
  };

  const replaced = run("SET a.c[1] = :v", item);
  assert.deepEqual(replaced.updatedOld, { a: { M: { c: list(2) } } });
  assert.deepEqual(replaced.updatedNew, { a: { M: { c: list(70) } } });

  const removed = run("REMOVE a.c[1], a.c[3]", item);
  assert.deepEqual(removed.updatedOld, { a: { M: { c: list(2) } } });
  // The element that moved into position 1 appears as the new value.
  assert.deepEqual(removed.updatedNew, { a: { M: { c: list(3) } } });

  const appended = run("SET a.c[100] = :v", item);
  assert.deepEqual(appended.item.a, { M: { b: s("dog"), c: list(1, 2, 3, 70) } });
  assert.deepEqual(appended.updatedNew, {});

  const added = run("SET a.x = :v", item);
  assert.deepEqual(added.updatedOld, {});
  assert.deepEqual(added.updatedNew, { a: { M: { x: n("70") } } });
});
