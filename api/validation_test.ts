/**
 * Tests for attribute value, item and key validation. Method: tables of raw request JSON and the
 * exact error type and message DynamoDB sends, plus round trips of valid values.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DynamoDBError } from "./errors.ts";
import {
  base64Problem,
  checkItemJson,
  compareUtf8,
  extractKey,
  type KeySchema,
  validateAttributeValue,
  validateItem,
  validateItemKeyAttributes,
  validateKey,
  type ValueValidationOptions,
} from "./validation.ts";

const INVALID = "One or more parameter values were invalid: ";
const EMPTY =
  "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
const MULTIPLE =
  "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
const NESTING =
  "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const SCHEMA = "The provided key element does not match the schema";

/** Returns the error `action` throws, failing when it throws nothing or a non-DynamoDB error. */
function dynamoError(action: () => unknown): DynamoDBError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof DynamoDBError, `expected DynamoDBError, got ${error}`);
    return error;
  }
  assert.fail("expected a DynamoDBError");
}

/** Wraps `leaf` in `depth` single-entry maps. */
function nestedMaps(depth: number, leaf: unknown = { S: "leaf" }): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = { M: { n: value } };
  return value;
}

Deno.test("validateAttributeValue returns canonical values", () => {
  const cases: [unknown, unknown][] = [
    [{ S: "a" }, { S: "a" }],
    [{ S: "" }, { S: "" }],
    [{ N: "1e3" }, { N: "1000" }],
    [{ B: "AAE=" }, { B: "AAE=" }],
    [{ B: "" }, { B: "" }],
    [{ BOOL: false }, { BOOL: false }],
    [{ NULL: true }, { NULL: true }],
    [{ SS: ["a", "", "b"] }, { SS: ["a", "", "b"] }],
    [{ NS: ["1.50", "-0", "2e2"] }, { NS: ["1.5", "0", "200"] }],
    [{ BS: ["AA==", "", "/w=="] }, { BS: ["AA==", "", "/w=="] }],
    [{ L: [{ N: "01" }, { M: { x: { N: "0.0" } } }] }, {
      L: [{ N: "1" }, { M: { x: { N: "0" } } }],
    }],
    [{ M: {} }, { M: {} }],
    [{ L: [] }, { L: [] }],
    // A null member counts as absent and an unknown key is ignored.
    [{ S: "a", N: null }, { S: "a" }],
    [{ S: "a", X: 5 }, { S: "a" }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(validateAttributeValue(raw), expected, JSON.stringify(raw));
  }
});

Deno.test("validateAttributeValue does not mutate its input", () => {
  const raw = { M: { n: { N: "1e3" } } };
  validateAttributeValue(raw);
  assert.deepEqual(raw, { M: { n: { N: "1e3" } } });
});

Deno.test("validateAttributeValue rejects invalid values", () => {
  const cases: [unknown, string][] = [
    [{}, EMPTY],
    [null, EMPTY],
    [{ S: null }, EMPTY],
    [{ X: "a" }, EMPTY],
    [{ S: "a", N: "1" }, MULTIPLE],
    [{ S: "a", N: "x" }, "The parameter cannot be converted to a numeric value: x"],
    [{ NULL: false }, `${INVALID}Null attribute value types must have the value of true`],
    [
      { N: "1e126" },
      "Number overflow. Attempting to store a number with magnitude larger than supported range",
    ],
    [{ SS: [] }, `${INVALID}An string set  may not be empty`],
    [{ NS: [] }, `${INVALID}An number set  may not be empty`],
    [{ BS: [] }, `${INVALID}Binary sets should not be empty`],
    [{ NS: [""] }, "The parameter cannot be converted to a numeric value: "],
    [{ SS: ["b", "a", "b"] }, `${INVALID}Input collection ["a", "b", "b"] contains duplicates.`],
    [{ SS: ["", ""] }, `${INVALID}Input collection ["", ""] contains duplicates.`],
    [
      { SS: ["c", "a", "c", "b"] },
      `${INVALID}Input collection ["a", "c", "c", "b"] contains duplicates.`,
    ],
    [
      { BS: ["/w==", "AA==", "AA=="] },
      `${INVALID}Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.`,
    ],
    [{ NS: ["2", "1", "2"] }, `${INVALID}Input collection contains duplicates.`],
    [{ NS: ["1", "1.0"] }, `${INVALID}Input collection contains duplicates.`],
    [
      { L: [{ M: { a: { NULL: false } } }] },
      `${INVALID}Null attribute value types must have the value of true`,
    ],
    [{ L: [{}] }, EMPTY],
    [{ L: [null] }, EMPTY],
    [{ M: { a: null } }, EMPTY],
  ];
  for (const [raw, expected] of cases) {
    const error = dynamoError(() => validateAttributeValue(raw));
    assert.equal(error.type, "ValidationException", JSON.stringify(raw));
    assert.equal(error.message, expected, JSON.stringify(raw));
  }
});

Deno.test("validateAttributeValue words errors per layer", () => {
  const older: ValueValidationOptions = { style: "older" };
  const enveloped: ValueValidationOptions = { style: "current", envelope: true };
  const cases: [unknown, ValueValidationOptions, string][] = [
    [{ N: "" }, older, "The parameter cannot be converted to a numeric value"],
    [
      { N: "" },
      enveloped,
      "1 validation error detected: The parameter cannot be converted to a numeric value: ",
    ],
    [
      { N: "1e2147483647" },
      older,
      "Number underflow. Attempting to store a number with magnitude smaller than supported range",
    ],
    [{ SS: ["b", "a", "b"] }, older, `${INVALID}Input collection [b, a, b] contains duplicates.`],
    [
      { BS: ["/w==", "AA==", "AA=="] },
      older,
      `${INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates.`,
    ],
    [{ NS: ["2", "1", "2"] }, older, "Input collection contains duplicates"],
    [
      { SS: ["a", "a"] },
      enveloped,
      `1 validation error detected: ${INVALID}Input collection ["a", "a"] contains duplicates.`,
    ],
    [
      { NULL: false },
      enveloped,
      `1 validation error detected: ${INVALID}Null attribute value types must have the value of true`,
    ],
  ];
  for (const [raw, options, expected] of cases) {
    const error = dynamoError(() => validateAttributeValue(raw, options));
    assert.equal(error.message, expected, `${JSON.stringify(raw)} ${JSON.stringify(options)}`);
  }
});

Deno.test("validateAttributeValue rejects wrong JSON types", () => {
  const cases: [unknown, string][] = [
    [{ S: 5 }, "NUMBER_VALUE can not be converted to a String"],
    [{ S: true }, "TRUE_VALUE can not be converted to a String"],
    [{ N: false }, "FALSE_VALUE can not be converted to a String"],
    [{ N: 123 }, "NUMBER_VALUE can not be converted to a String"],
    [{ S: ["a"] }, "Start of list found where not expected"],
    [{ S: { a: 1 } }, "Start of structure or map found where not expected."],
    [{ BOOL: "true" }, "STRING_VALUE can not be converted to a Boolean"],
    [{ NULL: 1 }, "NUMBER_VALUE can not be converted to a Boolean"],
    [{ SS: "x" }, "Expected list or null"],
    [{ SS: { a: "x" } }, "Start of structure or map found where not expected."],
    [{ SS: [1] }, "NUMBER_VALUE can not be converted to a String"],
    [{ L: "x" }, "Expected list or null"],
    [{ M: "x" }, "Expected map or null"],
    [{ M: [] }, "Start of list found where not expected"],
    [{ M: { a: "x" } }, "Expected null"],
    [{ L: ["x"] }, "Expected null"],
    [{ L: [[]] }, "Start of list found where not expected"],
    ["x", "Expected null"],
    [5, "Expected null"],
    [[], "Start of list found where not expected"],
    [{ B: 5 }, "NUMBER_VALUE can not be converted to a Blob"],
    [
      { B: "abc" },
      "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3",
    ],
    [{ B: "ab!=" }, "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"],
    [{ B: "AB=A" }, "'AB=A' can not be converted to a Blob: Invalid Base64 character: '='"],
    [
      { B: "AB==" },
      "'AB==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
    ],
    [{ BS: ["AA==", 1] }, "NUMBER_VALUE can not be converted to a Blob"],
    // Serialisation errors come before validation errors anywhere in the value.
    [{ L: [{ NULL: false }, { S: 1 }] }, "NUMBER_VALUE can not be converted to a String"],
  ];
  for (const [raw, expected] of cases) {
    const error = dynamoError(() => validateAttributeValue(raw));
    assert.equal(error.type, "SerializationException", JSON.stringify(raw));
    assert.equal(error.namespace, "com.amazon.coral.service", JSON.stringify(raw));
    assert.equal(error.message, expected, JSON.stringify(raw));
  }
});

Deno.test("validateAttributeValue nesting limit", () => {
  // The attribute is level 1, so 31 wrapping maps put the leaf at level 32, the deepest allowed.
  assert.deepEqual(validateAttributeValue(nestedMaps(31)), nestedMaps(31));
  assert.equal(dynamoError(() => validateAttributeValue(nestedMaps(32))).message, NESTING);
  // The depth is reported before an invalid value further down.
  const deepInvalid = nestedMaps(40, { N: "abc" });
  assert.equal(dynamoError(() => validateAttributeValue(deepInvalid)).message, NESTING);
  // A hostile depth does not exhaust the stack.
  assert.equal(dynamoError(() => validateAttributeValue(nestedMaps(100_000))).message, NESTING);
});

Deno.test("validateItem checks names and values", () => {
  assert.deepEqual(validateItem({ a: { N: "1.0" }, b: { S: "x" } }), {
    a: { N: "1" },
    b: { S: "x" },
  });
  assert.deepEqual(validateItem(null), {});
  assert.deepEqual(validateItem(undefined), {});

  const proto = validateItem(JSON.parse('{"__proto__": {"M": {"__proto__": {"S": "x"}}}}'));
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  const inner = Object.getOwnPropertyDescriptor(proto, "__proto__")?.value;
  assert.deepEqual(Object.keys(inner.M), ["__proto__"]);

  const longName = "a".repeat(65535);
  assert.deepEqual(Object.keys(validateItem({ [longName]: { S: "x" } })), [longName]);
  const tooLong = "a".repeat(65536);
  assert.equal(
    dynamoError(() => validateItem({ [tooLong]: { S: "x" } })).message,
    "Attribute name is too large, must be less than 65536 bytes",
  );
  assert.equal(
    dynamoError(() => validateItem({ a: { M: { [tooLong]: { S: "x" } } } }, { envelope: true }))
      .message,
    "1 validation error detected: Attribute name is too large, must be less than 65536 bytes",
  );
  // 21,846 three-byte characters are 65,538 bytes.
  assert.equal(
    dynamoError(() => validateItem({ ["€".repeat(21846)]: { S: "x" } })).message,
    "Attribute name is too large, must be less than 65536 bytes",
  );
  assert.equal(
    dynamoError(() => validateItem({ "": { S: "x" } })).message,
    `${INVALID}Empty attribute name`,
  );
});

Deno.test("checkItemJson rejects a non-object item", () => {
  const cases: [unknown, string][] = [
    ["x", "Expected map or null"],
    [[], "Start of list found where not expected"],
    [{ a: 5 }, "Expected null"],
  ];
  for (const [raw, expected] of cases) {
    const error = dynamoError(() => checkItemJson(raw));
    assert.equal(error.type, "SerializationException");
    assert.equal(error.message, expected);
  }
});

const composite: KeySchema = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "N" },
};
const binaryHash: KeySchema = { partitionKey: { name: "id", type: "B" } };

Deno.test("validateKey accepts matching keys", () => {
  validateKey({ pk: { S: "a" }, sk: { N: "1" } }, composite);
  validateKey({ id: { B: "AA==" } }, binaryHash);
  validateKey({ pk: { S: "x".repeat(2048) }, sk: { N: "1" } }, composite);
  assert.ok(true);
});

Deno.test("validateKey rejects keys with DynamoDB's messages", () => {
  const emptyString =
    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk";
  const cases: [Record<string, unknown>, KeySchema, string][] = [
    [{ pk: { S: "a" } }, composite, SCHEMA],
    [{ pk: { S: "a" }, sk: { S: "1" } }, composite, SCHEMA],
    [{ pk: { S: "a" }, sk: { N: "1" }, x: { S: "b" } }, composite, SCHEMA],
    [{ pk: { S: "a" }, other: { N: "1" } }, composite, SCHEMA],
    [{ id: { S: "a" } }, binaryHash, SCHEMA],
    [{ pk: { S: "" }, sk: { N: "1" } }, composite, emptyString],
    [
      { id: { B: "" } },
      binaryHash,
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: id",
    ],
    [
      { pk: { S: "x".repeat(2049) }, sk: { N: "1" } },
      composite,
      `${INVALID}Size of hashkey has exceeded the maximum size limit of2048 bytes`,
    ],
    [
      { pk: { S: "a" }, sk: { S: "é".repeat(513) } },
      { partitionKey: { name: "pk", type: "S" }, sortKey: { name: "sk", type: "S" } },
      `${INVALID}Aggregated size of all range keys has exceeded the size limit of 1024 bytes`,
    ],
  ];
  for (const [key, schema, expected] of cases) {
    const error = dynamoError(() => validateKey(key as never, schema));
    assert.equal(error.type, "ValidationException", JSON.stringify(key));
    assert.equal(error.message, expected, JSON.stringify(key));
  }
});

Deno.test("validateItemKeyAttributes rejects items with DynamoDB's messages", () => {
  validateItemKeyAttributes({ pk: { S: "a" }, sk: { N: "1" }, other: { S: "" } }, composite);
  const cases: [Record<string, unknown>, string][] = [
    [{ sk: { N: "1" } }, `${INVALID}Missing the key pk in the item`],
    [{ pk: { S: "a" } }, `${INVALID}Missing the key sk in the item`],
    [
      { pk: { N: "1" }, sk: { N: "1" } },
      `${INVALID}Type mismatch for key pk expected: S actual: N`,
    ],
    [
      { pk: { S: "a" }, sk: { S: "1" } },
      `${INVALID}Type mismatch for key sk expected: N actual: S`,
    ],
    [
      { pk: { S: "" }, sk: { N: "1" } },
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    ],
    [
      { pk: { S: "x".repeat(2049) }, sk: { N: "1" } },
      `${INVALID}Size of hashkey has exceeded the maximum size limit of2048 bytes`,
    ],
  ];
  for (const [item, expected] of cases) {
    const error = dynamoError(() => validateItemKeyAttributes(item as never, composite));
    assert.equal(error.message, expected, JSON.stringify(item));
  }
});

Deno.test("key checks read only own attributes", () => {
  const schema: KeySchema = { partitionKey: { name: "__proto__", type: "S" } };
  const missing = dynamoError(() => validateItemKeyAttributes({ a: { S: "x" } }, schema));
  assert.equal(missing.message, `${INVALID}Missing the key __proto__ in the item`);
  assert.equal(dynamoError(() => validateKey({ a: { S: "x" } }, schema)).message, SCHEMA);
  const item = validateItem(JSON.parse('{"__proto__": {"S": "x"}}'));
  validateKey(item, schema);
  assert.deepEqual(Object.keys(extractKey(item, schema)), ["__proto__"]);
});

Deno.test("extractKey keeps only key attributes", () => {
  const item = { pk: { S: "a" }, sk: { N: "1" }, other: { S: "b" } };
  assert.deepEqual(extractKey(item, composite), { pk: { S: "a" }, sk: { N: "1" } });
  assert.deepEqual(extractKey(item, binaryHash), {});
});

Deno.test("compareUtf8 orders by code point", () => {
  assert.ok(compareUtf8("a", "b") < 0);
  assert.ok(compareUtf8("a", "ab") < 0);
  assert.equal(compareUtf8("ab", "ab"), 0);
  // U+FFFF sorts before U+10000 in UTF-8, though its UTF-16 code unit is larger.
  assert.ok(compareUtf8("\uffff", "\u{10000}") < 0);
  assert.ok("\uffff" > "\u{10000}");
});

Deno.test("base64Problem accepts canonical base64", () => {
  assert.equal(base64Problem(""), undefined);
  assert.equal(base64Problem("AA=="), undefined);
  assert.equal(base64Problem("AAE="), undefined);
  assert.equal(base64Problem("AAEC"), undefined);
  assert.equal(base64Problem("A==="), "Invalid Base64 character: '='");
});
