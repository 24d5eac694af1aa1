/**
 * Tests of UpdateExpression parsing: tables of expressions with the exact messages DynamoDB gives
 * for them (as recorded by dynalite's, ScyllaDB's and moto's test suites, and from DynamoDB
 * Local's messages and order of checks), and of the parsed actions for valid expressions.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { UpdateExpression } from "./ast.ts";
import { assertKeyAttributesUnchanged, parseUpdate } from "./update_parser.ts";
import { attributesOf, n, type Placeholders, s, validationMessageOf } from "./test_support.ts";

interface ErrorCase {
  expression: string;
  placeholders?: Placeholders;
  message: string;
}

const one = { ":v1": n("1"), ":v2": n("2"), ":v3": n("3") };

const SYNTAX_ERRORS: ErrorCase[] = [
  { expression: "", message: "Invalid UpdateExpression: The expression can not be empty;" },
  {
    expression: "SET " + " ".repeat(4085) + "a = :val",
    placeholders: { values: { ":val": n("1") } },
    // Unlike condition expressions, DynamoDB does not state the size here.
    message: "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;",
  },
  {
    expression: "SET _123 = :v1",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _123"',
  },
  {
    expression: "SET a = :v1,",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","',
  },
  {
    expression: "HELLO b = :v1",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "HELLO", near: "HELLO b"',
  },
  {
    expression: "SET b = :v1 + :v2 + :v3",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "+", near: ":v2 + :v3"',
  },
  {
    expression: "SET c = if_not_exists(c, :v1+:v2)",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "+", near: ":v1+:v2"',
  },
  {
    expression: "SET a[:v2] = :v1",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: ":v2", near: "[:v2]"',
  },
  {
    expression: "SET a[#x] = :v1",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "#x", near: "[#x]"',
  },
  {
    expression: "SET :v1 = :v2",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: ":v1", near: "SET :v1 ="',
  },
  {
    expression: "SET a = _f(b)",
    message: 'Invalid UpdateExpression: Syntax error; token: "_", near: "= _f"',
  },
  {
    expression: "SET hi-there = :v1",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "-", near: "hi-there"',
  },
  {
    expression: "SET a = :",
    message: 'Invalid UpdateExpression: Syntax error; token: ":", near: "= :"',
  },
  {
    expression: "ADD a b",
    message: 'Invalid UpdateExpression: Syntax error; token: "b", near: "a b"',
  },
  {
    expression: "SET a = :v1 b = :v2",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: Syntax error; token: "b", near: ":v1 b ="',
  },
  {
    expression: "REMOVE a, delete",
    message: 'Invalid UpdateExpression: Syntax error; token: "delete", near: ", delete"',
  },
  {
    expression: "REMOVE a SET",
    message: 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"',
  },
];

Deno.test("parseUpdate reports syntax errors with token and context", () => {
  for (const testCase of SYNTAX_ERRORS) {
    const message = validationMessageOf(() =>
      parseUpdate(testCase.expression, attributesOf(testCase.placeholders))
    );
    assert.equal(message, testCase.message, testCase.expression.slice(0, 40));
  }
});

const SEMANTIC_ERRORS: ErrorCase[] = [
  {
    expression: "SET a = :v1 SET b = :v2",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: The "SET" section can only be used once in an update ' +
      "expression;",
  },
  {
    expression: "set a = :v1 REMOVE b remove c",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: The "REMOVE" section can only be used once in an update ' +
      "expression;",
  },
  {
    expression: "SET a = :v1 REMOVE a",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a], path two: [a]",
  },
  {
    expression: "SET #a1 = :v1, #a2 = :v2",
    placeholders: { names: { "#a1": "a", "#a2": "a" }, values: one },
    message: "Invalid UpdateExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a], path two: [a]",
  },
  {
    expression: "SET a[1][1][1][1] = :v1, a[1][1] = :v2",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a, [1], [1], [1], [1]], path two: " +
      "[a, [1], [1]]",
  },
  {
    expression: "SET a.b = :v1, a[1] = :v2",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Two document paths conflict with each other; must " +
      "remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]",
  },
  {
    expression: "SET a = f(b,c,d)",
    message: "Invalid UpdateExpression: Invalid function name; function: f",
  },
  {
    expression: "SET a = LIST_APPEND(:v1, :v2)",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Invalid function name; function: LIST_APPEND",
  },
  {
    expression: "SET a = size(b)",
    message: "Invalid UpdateExpression: The function is not allowed in an update expression; " +
      "function: size",
  },
  {
    expression: "SET a = if_not_exists(b, attribute_exists(c))",
    message: "Invalid UpdateExpression: The function is not allowed in an update expression; " +
      "function: attribute_exists",
  },
  {
    expression: "SET a = :v1 + list_append(a, :l)",
    placeholders: { values: { ":v1": n("1"), ":l": { L: [] } } },
    message: "Invalid UpdateExpression: The function is not allowed to be used this way in an " +
      "expression; function: list_append",
  },
  {
    expression: "SET a = if_not_exists(a, list_append(a, :l))",
    placeholders: { values: { ":l": { L: [] } } },
    message: "Invalid UpdateExpression: The function is not allowed to be used this way in an " +
      "expression; function: list_append",
  },
  {
    expression: "SET a = if_not_exists(a, a)",
    message: "Invalid UpdateExpression: The first operand must be distinct from the remaining " +
      "operands for this operator or function; operator: if_not_exists, first operand: [a]",
  },
  {
    expression: "SET a = ((:v1))",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: The expression has redundant parentheses;",
  },
  {
    expression: "SET a = ((:v1 + b))",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: The expression has redundant parentheses;",
  },
  {
    expression: "REMOVE a[2147483648]",
    message: "Invalid UpdateExpression: List index is not within the allowable range; " +
      "index: [2147483648]",
  },
  {
    expression: "REMOVE a" + "[0]".repeat(32),
    message: "Invalid UpdateExpression: The document path has too many nesting levels; " +
      "nesting levels: 33",
  },
  {
    expression: "SET a = list_append(list_append(:l, :l), :m)",
    placeholders: { values: { ":l": { L: [] }, ":m": { L: [] } } },
    message: "Invalid UpdateExpression: The function is not allowed to be used this way in an " +
      "expression; function: list_append",
  },
  {
    expression: "SET a = list_append(:v1)",
    placeholders: { values: { ":v1": { L: [] } } },
    message: "Invalid UpdateExpression: Incorrect number of operands for operator or function; " +
      "operator or function: list_append, number of operands: 1",
  },
  {
    expression: "SET a = list_append(:l, :s)",
    placeholders: { values: { ":l": { L: [] }, ":s": s("hi") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator or function: list_append, operand type: S",
  },
  {
    expression: "SET b = :s + :v1",
    placeholders: { values: { ":v1": n("3"), ":s": s("dog") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator or function: +, operand type: S",
  },
  {
    expression: "SET b = :v1 - :l",
    placeholders: { values: { ":v1": n("3"), ":l": { L: [] } } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator or function: -, operand type: L",
  },
  {
    expression: "SET b = if_not_exists(:v2, :v1)",
    placeholders: { values: { ":v1": n("3"), ":v2": n("3") } },
    message: "Invalid UpdateExpression: Operator or function requires a document path; " +
      "operator or function: if_not_exists",
  },
  {
    expression: "ADD a :v",
    placeholders: { values: { ":v": s("hello") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
  },
  {
    expression: "ADD a :v",
    placeholders: { values: { ":v": { L: [n("3")] } } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND",
  },
  {
    expression: "DELETE a :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND",
  },
  {
    expression: "DELETE a :v",
    placeholders: { values: { ":v": { M: {} } } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator: DELETE, operand type: MAP, typeSet: ALLOWED_FOR_DELETE_OPERAND",
  },
  {
    expression: "SET status = :v1",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: " +
      "status",
  },
  {
    expression: "SET a = b.#c.Total",
    placeholders: { names: { "#c": "c" } },
    message: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: " +
      "Total",
  },
  {
    expression: "SET #name = :v1",
    placeholders: { names: { "#wrongname": "hello" }, values: one },
    message: "Invalid UpdateExpression: An expression attribute name used in the document path " +
      "is not defined; attribute name: #name",
  },
  {
    expression: "SET b = :absent",
    placeholders: { values: { ":alt": n("1") } },
    message: "Invalid UpdateExpression: An expression attribute value used in expression is not " +
      "defined; attribute value: :absent",
  },
];

Deno.test("parseUpdate reports semantic errors with DynamoDB's messages", () => {
  for (const testCase of SEMANTIC_ERRORS) {
    const message = validationMessageOf(() =>
      parseUpdate(testCase.expression, attributesOf(testCase.placeholders))
    );
    assert.equal(message, testCase.message, testCase.expression);
  }
});

const RANKED_ERRORS: ErrorCase[] = [
  {
    // The walk reports the first reserved word or function problem in reading order.
    expression: "SET a = f(b), year = :v1",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Invalid function name; function: f",
  },
  {
    expression: "SET year = f(b)",
    message: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: " +
      "year",
  },
  {
    // A repeated section is reported at its end, after the problems inside it.
    expression: "SET a = :v1 SET b = f(c)",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: Invalid function name; function: f",
  },
  {
    expression: "SET a = :v1 SET b = :v2 REMOVE year",
    placeholders: { values: one },
    message: 'Invalid UpdateExpression: The "SET" section can only be used once in an update ' +
      "expression;",
  },
  {
    // All target paths are resolved before any value.
    expression: "SET a = :absent, #absent = :v1",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: An expression attribute name used in the document path " +
      "is not defined; attribute name: #absent",
  },
  {
    // Targets are taken from the last action to the first.
    expression: "SET #first = :v1, #second = :v2",
    placeholders: { values: one },
    message: "Invalid UpdateExpression: An expression attribute name used in the document path " +
      "is not defined; attribute name: #second",
  },
  {
    expression: "ADD a :s, a :s",
    placeholders: { values: { ":s": s("x") } },
    message: "Invalid UpdateExpression: Two document paths overlap with each other; must " +
      "remove or rewrite one of these paths; path one: [a], path two: [a]",
  },
  {
    // So are values: the last action's undefined value is reported.
    expression: "SET a = :first, b = :second",
    message: "Invalid UpdateExpression: An expression attribute value used in expression is " +
      "not defined; attribute value: :second",
  },
  {
    expression: "SET a = :s + :v1 ADD b :s",
    placeholders: { values: { ":s": s("x"), ":v1": n("1") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
  },
  {
    expression: "ADD b :s SET a = :s + :v1",
    placeholders: { values: { ":s": s("x"), ":v1": n("1") } },
    message: "Invalid UpdateExpression: Incorrect operand type for operator or function; " +
      "operator or function: +, operand type: S",
  },
  {
    // Within a value, operands are resolved before the function that takes them is checked.
    expression: "SET a = list_append(:s, :absent)",
    placeholders: { values: { ":s": s("x") } },
    message: "Invalid UpdateExpression: An expression attribute value used in expression is " +
      "not defined; attribute value: :absent",
  },
];

Deno.test("parseUpdate ranks errors as DynamoDB does", () => {
  for (const testCase of RANKED_ERRORS) {
    const message = validationMessageOf(() =>
      parseUpdate(testCase.expression, attributesOf(testCase.placeholders))
    );
    assert.equal(message, testCase.message, testCase.expression);
  }
});

interface ParseCase {
  expression: string;
  placeholders?: Placeholders;
  update: UpdateExpression;
}

const PARSE_CASES: ParseCase[] = [
  {
    expression: "  set   b=:v1  ",
    placeholders: { values: one },
    update: {
      actions: [{
        kind: "set",
        path: ["b"],
        value: { kind: "operand", operand: { kind: "value", value: n("1") } },
      }],
    },
  },
  {
    expression: "REMOVE a.b[2], c SET d = d - :v1 ADD e :ss DELETE f :ss",
    placeholders: { values: { ":v1": n("1"), ":ss": { SS: ["x"] } } },
    update: {
      actions: [
        { kind: "remove", path: ["a", "b", 2] },
        { kind: "remove", path: ["c"] },
        {
          kind: "set",
          path: ["d"],
          value: {
            kind: "minus",
            left: { kind: "path", path: ["d"] },
            right: { kind: "value", value: n("1") },
          },
        },
        { kind: "add", path: ["e"], value: { SS: ["x"] } },
        { kind: "delete", path: ["f"], value: { SS: ["x"] } },
      ],
    },
  },
  {
    expression:
      "SET #l = list_append(if_not_exists(#l, :empty), :new), n = (if_not_exists(n, :v1)) + :v1",
    placeholders: {
      names: { "#l": "list" },
      values: { ":empty": { L: [] }, ":new": { L: [s("x")] }, ":v1": n("1") },
    },
    update: {
      actions: [
        {
          kind: "set",
          path: ["list"],
          value: {
            kind: "operand",
            operand: {
              kind: "list_append",
              first: {
                kind: "if_not_exists",
                path: ["list"],
                fallback: { kind: "value", value: { L: [] } },
              },
              second: { kind: "value", value: { L: [s("x")] } },
            },
          },
        },
        {
          kind: "set",
          path: ["n"],
          value: {
            kind: "plus",
            left: {
              kind: "if_not_exists",
              path: ["n"],
              fallback: { kind: "value", value: n("1") },
            },
            right: { kind: "value", value: n("1") },
          },
        },
      ],
    },
  },
  {
    expression: "SET a = (:v1 + b)",
    placeholders: { values: one },
    update: {
      actions: [{
        kind: "set",
        path: ["a"],
        value: {
          kind: "plus",
          left: { kind: "value", value: n("1") },
          right: { kind: "path", path: ["b"] },
        },
      }],
    },
  },
  {
    expression: "SET a.b = :v1, a.c.d = :v2, b.x = :v3 REMOVE a.x, b.y",
    placeholders: { values: one },
    update: {
      actions: [
        {
          kind: "set",
          path: ["a", "b"],
          value: { kind: "operand", operand: { kind: "value", value: n("1") } },
        },
        {
          kind: "set",
          path: ["a", "c", "d"],
          value: { kind: "operand", operand: { kind: "value", value: n("2") } },
        },
        {
          kind: "set",
          path: ["b", "x"],
          value: { kind: "operand", operand: { kind: "value", value: n("3") } },
        },
        { kind: "remove", path: ["a", "x"] },
        { kind: "remove", path: ["b", "y"] },
      ],
    },
  },
];

Deno.test("parseUpdate builds actions in written order", () => {
  for (const testCase of PARSE_CASES) {
    const update = parseUpdate(testCase.expression, attributesOf(testCase.placeholders));
    assert.deepEqual(update, testCase.update, testCase.expression);
  }
});

Deno.test("parseUpdate accepts 4096 characters and marks placeholders used", () => {
  const attributes = attributesOf({ names: { "#one": "c", "#two": "a" } });
  parseUpdate("SET" + " ".repeat(4082) + "#one = #two", attributes);
  attributes.assertAllUsed();
});

Deno.test("assertKeyAttributesUnchanged rejects any action on a key attribute", () => {
  const keys = ["p", "c"];
  const cases: [string, Placeholders, string][] = [
    ["SET p = :v1", { values: one }, "p"],
    ["SET c = :v1", { values: one }, "c"],
    ["REMOVE c", {}, "c"],
    ["ADD p :v1", { values: one }, "p"],
    ["DELETE c :ss", { values: { ":ss": { SS: ["x"] } } }, "c"],
    ["SET p.x = :v1", { values: one }, "p"],
    ["SET c = :v1, p = :v2", { values: one }, "p"],
  ];
  for (const [expression, placeholders, key] of cases) {
    const update = parseUpdate(expression, attributesOf(placeholders));
    const message = validationMessageOf(() => assertKeyAttributesUnchanged(update, keys));
    assert.equal(
      message,
      `One or more parameter values were invalid: Cannot update attribute ${key}. This ` +
        "attribute is part of the key",
      expression,
    );
  }
  const allowed = parseUpdate("SET a = p REMOVE b", attributesOf());
  assertKeyAttributesUnchanged(allowed, keys);
});
