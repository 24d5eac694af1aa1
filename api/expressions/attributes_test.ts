/**
 * Tests of ExpressionAttributeNames / ExpressionAttributeValues checks and of the unused
 * placeholder errors, with DynamoDB's exact messages (as recorded by dynalite's test suite).
 *
 * @module
 */

import assert from "node:assert/strict";
import { ExpressionAttributes } from "./attributes.ts";
import { n, validationMessageOf } from "./test_support.ts";

Deno.test("ExpressionAttributes rejects empty maps", () => {
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({}, undefined)),
    "ExpressionAttributeNames must not be empty",
  );
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes(undefined, {})),
    "ExpressionAttributeValues must not be empty",
  );
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({}, {})),
    "ExpressionAttributeNames must not be empty",
  );
});

Deno.test("ExpressionAttributes rejects invalid placeholder keys", () => {
  for (const key of ["a", "#", "#a-b", ":a", "# a", "#é"]) {
    assert.equal(
      validationMessageOf(() => new ExpressionAttributes({ [key]: "x" }, undefined)),
      `ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`,
    );
  }
  for (const key of ["a", ":", ":a.b", "#a"]) {
    assert.equal(
      validationMessageOf(() => new ExpressionAttributes(undefined, { [key]: n("1") })),
      `ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`,
    );
  }
});

Deno.test("ExpressionAttributes limits key length and rejects empty names", () => {
  const longest = "#" + "k".repeat(254);
  new ExpressionAttributes({ [longest]: "a" }, { [":" + "v".repeat(254)]: n("1") });
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({ [longest + "k"]: "a" }, undefined)),
    "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key " +
      "that is too long; size of key: 256",
  );
  assert.equal(
    validationMessageOf(() =>
      new ExpressionAttributes(undefined, { [":" + "v".repeat(255)]: n("1") })
    ),
    "ExpressionAttributeValues contains invalid key: The expression attribute map contains a " +
      "key that is too long;",
  );
  assert.equal(
    validationMessageOf(() =>
      new ExpressionAttributes({ ["#" + "-".repeat(255)]: "a" }, undefined)
    ),
    "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key " +
      "that is too long; size of key: 256",
  );
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({ "": "a" }, undefined)),
    "ExpressionAttributeNames contains invalid key: The expression attribute map contains an " +
      "empty key;",
  );
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes(undefined, { "": n("1") })),
    "ExpressionAttributeValues contains invalid key: The expression attribute map contains an " +
      "empty key;",
  );
  new ExpressionAttributes({ "#a": "é".repeat(32767) + "a" }, undefined);
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({ "#a": "é".repeat(32768) }, undefined)),
    "ExpressionAttributeNames contains invalid value: Attribute name is too large, must be less " +
      "than 65536 bytes for key #a",
  );
  assert.equal(
    validationMessageOf(() => new ExpressionAttributes({ "#a": "a", "#b": "" }, undefined)),
    "ExpressionAttributeNames contains invalid value: Empty attribute name for key #b",
  );
});

Deno.test("ExpressionAttributes accepts letters, digits and underscores", () => {
  const attributes = new ExpressionAttributes(
    { "#Alpha_Numeric_123": "a", "#123": "b", "#_": "c" },
    { ":123a": n("1"), ":_": n("2") },
  );
  assert.equal(attributes.resolveName("#123"), "b");
  assert.equal(attributes.resolveName("#missing"), undefined);
  assert.deepEqual(attributes.resolveValue(":_"), n("2"));
  assert.equal(attributes.resolveValue(":missing"), undefined);
});

Deno.test("assertAllUsed lists unused names before unused values", () => {
  const attributes = new ExpressionAttributes(
    { "#a": "a", "#b": "b", "#c": "c" },
    { ":x": n("1"), ":y": n("2") },
  );
  attributes.resolveName("#b");
  assert.equal(
    validationMessageOf(() => attributes.assertAllUsed()),
    "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #c}",
  );
  attributes.resolveName("#a");
  attributes.resolveName("#c");
  attributes.resolveValue(":y");
  assert.equal(
    validationMessageOf(() => attributes.assertAllUsed()),
    "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
  );
  attributes.resolveValue(":x");
  attributes.assertAllUsed();
});

Deno.test("ExpressionAttributes without maps has nothing unused", () => {
  const attributes = new ExpressionAttributes(undefined, undefined);
  assert.equal(attributes.resolveName("#a"), undefined);
  attributes.assertAllUsed();
});

Deno.test("ExpressionAttributes ignores inherited properties", () => {
  const attributes = new ExpressionAttributes({ "#a": "a" }, undefined);
  assert.equal(attributes.resolveName("#constructor"), undefined);
  assert.equal(attributes.resolveName("toString"), undefined);
});
