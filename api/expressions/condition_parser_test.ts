/**
 * Tests of ConditionExpression / FilterExpression parsing: each table row is an expression, its
 * placeholders, and the exact message DynamoDB gives for it (from DynamoDB as recorded by
 * dynalite's and ScyllaDB's test suites, and from DynamoDB Local's messages and order of checks),
 * or the parsed condition it must produce.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Condition, Operand } from "./ast.ts";
import { parseCondition } from "./condition_parser.ts";
import { attributesOf, n, type Placeholders, s, validationMessageOf } from "./test_support.ts";

interface ErrorCase {
  expression: string;
  placeholders?: Placeholders;
  message: string;
}

function conditionError(testCase: ErrorCase, kind = "ConditionExpression" as const): string {
  return validationMessageOf(() =>
    parseCondition(testCase.expression, kind, attributesOf(testCase.placeholders))
  );
}

const SYNTAX_ERRORS: ErrorCase[] = [
  {
    expression: "foo",
    message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"',
  },
  {
    expression: "_hidden = :v",
    placeholders: { values: { ":v": n("1") } },
    message: 'Invalid ConditionExpression: Syntax error; token: "_", near: "_hidden"',
  },
  {
    expression: "a = = :v",
    placeholders: { values: { ":v": n("1") } },
    message: 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"',
  },
  {
    expression: "a IN ()",
    message: 'Invalid ConditionExpression: Syntax error; token: ")", near: "()"',
  },
  {
    expression: "(size(a))[0] > a",
    message: 'Invalid ConditionExpression: Syntax error; token: "[", near: ")[0"',
  },
  {
    expression: "a > 4",
    message: 'Invalid ConditionExpression: Syntax error; token: "4", near: "> 4"',
  },
  {
    expression: "things are not gonna be ok",
    message: 'Invalid ConditionExpression: Syntax error; token: "are", near: "things are not"',
  },
  {
    expression: "a = :v AND",
    placeholders: { values: { ":v": n("1") } },
    message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
  },
  {
    expression: "a BETWEEN :x OR :y",
    placeholders: { values: { ":x": n("1"), ":y": n("2") } },
    message: 'Invalid ConditionExpression: Syntax error; token: "OR", near: ":x OR :y"',
  },
  {
    expression: "a = and",
    message: 'Invalid ConditionExpression: Syntax error; token: "and", near: "= and"',
  },
  {
    expression: "!!",
    message: 'Invalid ConditionExpression: Syntax error; token: "!", near: "!!"',
  },
  {
    expression: "a[:i] = :v",
    placeholders: { values: { ":v": n("1"), ":i": n("1") } },
    message: 'Invalid ConditionExpression: Syntax error; token: ":i", near: "[:i]"',
  },
  {
    expression: "# = :v",
    placeholders: { values: { ":v": n("1") } },
    message: 'Invalid ConditionExpression: Syntax error; token: "#", near: "# ="',
  },
  {
    expression: "(".repeat(4096),
    message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("',
  },
];

Deno.test("condition parser reports syntax errors with token and context", () => {
  for (const testCase of SYNTAX_ERRORS) {
    assert.equal(conditionError(testCase), testCase.message, testCase.expression);
  }
});

Deno.test("condition parser names the expression kind in its errors", () => {
  const message = validationMessageOf(() =>
    parseCondition("foo", "FilterExpression", attributesOf())
  );
  assert.equal(message, 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "foo"');
});

const LIMIT_ERRORS: ErrorCase[] = [
  { expression: "", message: "Invalid ConditionExpression: The expression can not be empty;" },
  {
    expression: "a<b " + "and (a<b ".repeat(20000) + ")".repeat(20000),
    message: "Invalid ConditionExpression: Expression size has exceeded the maximum allowed " +
      "size; expression size: 200004",
  },
  {
    expression: "(".repeat(15000),
    message: "Invalid ConditionExpression: Expression size has exceeded the maximum allowed " +
      "size; expression size: 15000",
  },
  {
    // 4097 characters, 4098 UTF-8 bytes: DynamoDB counts characters.
    expression: "a = b" + " ".repeat(4091) + "é",
    message: "Invalid ConditionExpression: Expression size has exceeded the maximum allowed " +
      "size; expression size: 4097",
  },
  {
    expression: "a<b " + "or (a<b ".repeat(454) + ")".repeat(454),
    message: "Invalid ConditionExpression: The expression contains too many operators; " +
      "operator count: 301",
  },
  {
    expression: "not ".repeat(1000) + "a<b",
    message: "Invalid ConditionExpression: The expression contains too many operators; " +
      "operator count: 301",
  },
  {
    // Function calls count as operators: 100 size() calls, 100 comparisons and 101 ANDs.
    expression: "size(a) < b AND ".repeat(100) + "c = d",
    message: "Invalid ConditionExpression: The expression contains too many operators; " +
      "operator count: 301",
  },
  {
    expression: `a IN (${Array.from({ length: 101 }, (_, i) => `:v${i}`).join(", ")})`,
    placeholders: {
      values: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`:v${i}`, n(`${i}`)])),
    },
    message: "Invalid ConditionExpression: The IN operator is provided with too many operands; " +
      "number of operands: 101",
  },
  {
    expression: "a" + ".b".repeat(31) + "[0] = c",
    message: "Invalid ConditionExpression: The document path has too many nesting levels; " +
      "nesting levels: 33",
  },
];

Deno.test("condition parser enforces size, operator and IN limits", () => {
  for (const testCase of LIMIT_ERRORS) {
    assert.equal(conditionError(testCase), testCase.message, testCase.expression.slice(0, 40));
  }
});

Deno.test("condition parser accepts limits at their maximum", () => {
  const attributes = attributesOf({ values: { ":v": n("1") } });
  parseCondition("a = :v" + " ".repeat(4090), "ConditionExpression", attributes);
  const condition300 = "NOT (a<b " + "or (a<b ".repeat(149) + ")".repeat(150);
  parseCondition(condition300, "ConditionExpression", attributesOf());
  const values = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`:v${i}`, n(`${i}`)]));
  const list = Object.keys(values).join(",");
  parseCondition(`a IN (${list})`, "ConditionExpression", attributesOf({ values }));
  // 4096 characters but 4097 UTF-8 bytes pass the size check and reach the grammar.
  const nonAscii = "a = b" + " ".repeat(4090) + "é";
  assert.match(
    validationMessageOf(() => parseCondition(nonAscii, "ConditionExpression", attributesOf())),
    /^Invalid ConditionExpression: Syntax error; token: "é"/,
  );
  const sizes300 = "NOT (" + "size(a) < b AND ".repeat(99) + "size(a) < b)";
  parseCondition(sizes300, "ConditionExpression", attributesOf());
  parseCondition("a" + ".b".repeat(30) + "[0] = c", "ConditionExpression", attributesOf());
  parseCondition("a[2147483647] = b", "ConditionExpression", attributesOf());
});

const SEMANTIC_ERRORS: ErrorCase[] = [
  {
    expression: "((a = :v))",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The expression has redundant parentheses;",
  },
  {
    expression: "((a)) = :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The expression has redundant parentheses;",
  },
  {
    expression: "(".repeat(2046) + "a<b" + ")".repeat(2046),
    message: "Invalid ConditionExpression: The expression has redundant parentheses;",
  },
  {
    expression: "starts_with(a, :v)",
    placeholders: { values: { ":v": s("x") } },
    message: "Invalid ConditionExpression: Invalid function name; function: starts_with",
  },
  {
    expression: "ATTRIBUTE_EXISTS(a)",
    message: "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS",
  },
  {
    expression: "a < " + "f(".repeat(1355) + "b" + ")".repeat(1355),
    message: "Invalid ConditionExpression: Invalid function name; function: f",
  },
  {
    expression: "size(a)",
    message: "Invalid ConditionExpression: The function is not allowed to be used this way in " +
      "an expression; function: size",
  },
  {
    expression: "attribute_exists(a) < :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The function is not allowed to be used this way in " +
      "an expression; function: attribute_exists",
  },
  {
    expression: "begins_with(a, :v) = :t",
    placeholders: { values: { ":v": s("x"), ":t": { BOOL: true } } },
    message: "Invalid ConditionExpression: The function is not allowed to be used this way in " +
      "an expression; function: begins_with",
  },
  {
    expression: "if_not_exists(a, b) = :v",
    placeholders: { values: { ":v": n("5") } },
    message: "Invalid ConditionExpression: The function is not allowed in a condition " +
      "expression; function: if_not_exists",
  },
  {
    expression: "list_append(a, b)",
    message: "Invalid ConditionExpression: The function is not allowed in a condition " +
      "expression; function: list_append",
  },
  {
    expression: "contains(attribute_exists(a), b)",
    message: "Invalid ConditionExpression: The function is not allowed to be used this way in " +
      "an expression; function: attribute_exists",
  },
  {
    expression: "a[2147483648] = b",
    message: "Invalid ConditionExpression: List index is not within the allowable range; " +
      "index: [2147483648]",
  },
  {
    expression: "status = :v",
    placeholders: { values: { ":v": s("x") } },
    message: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: status",
  },
  {
    expression: "a.Size = :v",
    placeholders: { values: { ":v": s("x") } },
    message: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: Size",
  },
  {
    expression: "#x = :v",
    placeholders: { values: { ":v": s("x") } },
    message: "Invalid ConditionExpression: An expression attribute name used in the document " +
      "path is not defined; attribute name: #x",
  },
  {
    expression: "a = :x",
    placeholders: { values: { ":v": s("x") } },
    message: "Invalid ConditionExpression: An expression attribute value used in expression is " +
      "not defined; attribute value: :x",
  },
  {
    expression: "size(a, a) = :v",
    placeholders: { values: { ":v": n("5") } },
    message: "Invalid ConditionExpression: Incorrect number of operands for operator or " +
      "function; operator or function: size, number of operands: 2",
  },
  {
    expression: "contains(a)",
    message: "Invalid ConditionExpression: Incorrect number of operands for operator or " +
      "function; operator or function: contains, number of operands: 1",
  },
  {
    expression: "a = a",
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: =, first operand: [a]",
  },
  {
    expression: "a BETWEEN b AND a",
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: BETWEEN, first operand: [a]",
  },
  {
    expression: "a IN (b, c, a)",
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: IN, first operand: [a]",
  },
  {
    expression: "attribute_type(a, a)",
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: attribute_type, first " +
      "operand: [a]",
  },
  {
    expression: "contains(a.b[1], #ab[1])",
    placeholders: { names: { "#ab": "a.b" } },
    message: "", // The placeholder names the top-level attribute "a.b", so the paths differ.
  },
  {
    expression: "contains(#a.b[1], a.b[1])",
    placeholders: { names: { "#a": "a" } },
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: contains, first operand: " +
      "[a, b, [1]]",
  },
  {
    expression: "attribute_exists(:v)",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: Operator or function requires a document path; " +
      "operator or function: attribute_exists",
  },
  {
    expression: "attribute_type(a, :t)",
    placeholders: { values: { ":t": s("DOG") } },
    message: "Invalid ConditionExpression: Invalid attribute type name found; type: DOG, valid " +
      "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
  },
  {
    expression: "attribute_type(a, b)",
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}",
  },
  {
    expression: "attribute_type(a, :t)",
    placeholders: { values: { ":t": n("1") } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: attribute_type, operand type: N",
  },
  {
    expression: "begins_with(a, :v)",
    placeholders: { values: { ":v": n("2") } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: begins_with, operand type: N",
  },
  {
    expression: "size(:v) > a",
    placeholders: { values: { ":v": { BOOL: false } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: size, operand type: BOOL",
  },
  {
    expression: "a < " + "size(".repeat(680) + "b" + ")".repeat(680),
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: size, operand type: N",
  },
  {
    expression: "a < :v",
    placeholders: { values: { ":v": { L: [n("1")] } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: <, operand type: L",
  },
  {
    expression: ":v >= a",
    placeholders: { values: { ":v": { M: {} } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: >=, operand type: M",
  },
  {
    expression: "a <= :v",
    placeholders: { values: { ":v": { BOOL: true } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: <=, operand type: BOOL",
  },
  {
    expression: "a BETWEEN :x AND :y",
    placeholders: { values: { ":x": { L: [] }, ":y": { L: [] } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: BETWEEN, operand type: L",
  },
  {
    expression: "a between :b and :a",
    placeholders: { values: { ":a": s("a"), ":b": n("1") } },
    message: "Invalid ConditionExpression: The BETWEEN operator requires same data type for " +
      "lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: " +
      "AttributeValue: {S:a}",
  },
  {
    expression: "a between :b and :a",
    placeholders: { values: { ":a": s("a"), ":b": s("b") } },
    message: "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be " +
      "greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper " +
      "bound operand: AttributeValue: {S:a}",
  },
  {
    expression: "a between :b and :a",
    placeholders: { values: { ":a": n("9"), ":b": n("10") } },
    message: "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be " +
      "greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper " +
      "bound operand: AttributeValue: {N:9}",
  },
];

Deno.test("condition parser reports semantic errors with DynamoDB's messages", () => {
  for (const testCase of SEMANTIC_ERRORS) {
    if (testCase.message === "") {
      parseCondition(
        testCase.expression,
        "ConditionExpression",
        attributesOf(testCase.placeholders),
      );
      continue;
    }
    assert.equal(conditionError(testCase), testCase.message, testCase.expression.slice(0, 60));
  }
});

const RANKED_ERRORS: ErrorCase[] = [
  {
    // Redundant parentheses are found while parsing, before a function name is looked at.
    expression: "f(a) = :v AND ((b = :v))",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The expression has redundant parentheses;",
  },
  {
    // The grammar rejects the redundant parentheses before it reaches the missing operand.
    expression: "((status = :nope)) AND",
    message: "Invalid ConditionExpression: The expression has redundant parentheses;",
  },
  {
    // A syntax error before redundant parentheses comes first.
    expression: "a = = b AND ((b = :v))",
    message: 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"',
  },
  {
    // The walk reports the first function or reserved word problem in reading order.
    expression: "size(a) AND g(b) = :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The function is not allowed to be used this way in " +
      "an expression; function: size",
  },
  {
    expression: "status = :v AND size(a)",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: status",
  },
  {
    expression: "g(a) = :v AND status = :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: Invalid function name; function: g",
  },
  {
    // The walk comes before placeholders are resolved.
    expression: "a = :nope AND status = :v",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved " +
      "keyword: status",
  },
  {
    // Resolution goes children first: the first condition's error wins.
    expression: "contains(a, a) OR b = :nope",
    placeholders: { values: { ":v": n("1") } },
    message: "Invalid ConditionExpression: The first operand must be distinct from the " +
      "remaining operands for this operator or function; operator: contains, first operand: [a]",
  },
  {
    expression: "a = :nope1 AND #b = :nope2",
    message: "Invalid ConditionExpression: An expression attribute value used in expression is " +
      "not defined; attribute value: :nope1",
  },
  {
    // size() is checked as soon as its operands are, before the comparison's other operand.
    expression: "size(a, b) = :nope",
    message: "Invalid ConditionExpression: Incorrect number of operands for operator or " +
      "function; operator or function: size, number of operands: 2",
  },
  {
    expression: "size(:v) = :nope",
    placeholders: { values: { ":v": { BOOL: true } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: size, operand type: BOOL",
  },
  {
    // Path depth is checked before the placeholders of the path.
    expression: "#a" + ".b".repeat(32) + " = c",
    message: "Invalid ConditionExpression: The document path has too many nesting levels; " +
      "nesting levels: 33",
  },
  {
    // Operand types come before a repeated operand, which comes before the BETWEEN bounds.
    expression: "a BETWEEN a AND :l",
    placeholders: { values: { ":l": { L: [] } } },
    message: "Invalid ConditionExpression: Incorrect operand type for operator or function; " +
      "operator or function: BETWEEN, operand type: L",
  },
  {
    // The operator count is checked as operators are, so an earlier error wins.
    expression: "a < b AND ".repeat(200) + "c = :nope",
    message: "Invalid ConditionExpression: An expression attribute value used in expression is " +
      "not defined; attribute value: :nope",
  },
];

Deno.test("condition parser ranks errors as DynamoDB does", () => {
  for (const testCase of RANKED_ERRORS) {
    assert.equal(conditionError(testCase), testCase.message, testCase.expression);
  }
});

interface ParseCase {
  expression: string;
  placeholders?: Placeholders;
  condition: Condition;
}

const a: Operand = { kind: "path", path: ["a"] };
const b: Operand = { kind: "path", path: ["b"] };
const c: Operand = { kind: "path", path: ["c"] };

const PARSE_CASES: ParseCase[] = [
  {
    expression: "a < b OR b < c AND NOT c = a",
    condition: {
      kind: "or",
      left: { kind: "comparison", operator: "<", left: a, right: b },
      right: {
        kind: "and",
        left: { kind: "comparison", operator: "<", left: b, right: c },
        right: { kind: "not", condition: { kind: "comparison", operator: "=", left: c, right: a } },
      },
    },
  },
  {
    expression: "(a < b or b < c) and c <> a",
    condition: {
      kind: "and",
      left: {
        kind: "or",
        left: { kind: "comparison", operator: "<", left: a, right: b },
        right: { kind: "comparison", operator: "<", left: b, right: c },
      },
      right: { kind: "comparison", operator: "<>", left: c, right: a },
    },
  },
  {
    expression: "b BETWEEN a AND c AND a < b",
    condition: {
      kind: "and",
      left: { kind: "between", operand: b, lower: a, upper: c },
      right: { kind: "comparison", operator: "<", left: a, right: b },
    },
  },
  {
    expression: "NOT NOT a = b",
    condition: {
      kind: "not",
      condition: {
        kind: "not",
        condition: { kind: "comparison", operator: "=", left: a, right: b },
      },
    },
  },
  {
    expression: "#n.x[3].#m = :v",
    placeholders: { names: { "#n": "and", "#m": "a.b" }, values: { ":v": s("x") } },
    condition: {
      kind: "comparison",
      operator: "=",
      left: { kind: "path", path: ["and", "x", 3, "a.b"] },
      right: { kind: "value", value: s("x") },
    },
  },
  {
    expression: "(a) IN (b, (:v))",
    placeholders: { values: { ":v": n("1") } },
    condition: { kind: "in", operand: a, candidates: [b, { kind: "value", value: n("1") }] },
  },
  {
    expression: "size(a) >= :v",
    placeholders: { values: { ":v": n("2") } },
    condition: {
      kind: "comparison",
      operator: ">=",
      left: { kind: "size", operand: a },
      right: { kind: "value", value: n("2") },
    },
  },
  {
    expression: "attribute_exists (a) and attribute_not_exists(b) OR attribute_type(c, :t)",
    placeholders: { values: { ":t": s("SS") } },
    condition: {
      kind: "or",
      left: {
        kind: "and",
        left: { kind: "attribute_exists", path: ["a"] },
        right: { kind: "attribute_not_exists", path: ["b"] },
      },
      right: { kind: "attribute_type", operand: c, type: { kind: "value", value: s("SS") } },
    },
  },
  {
    expression: "begins_with(:p, a) AND contains(a, b)",
    placeholders: { values: { ":p": s("x") } },
    condition: {
      kind: "and",
      left: { kind: "begins_with", operand: { kind: "value", value: s("x") }, prefix: a },
      right: { kind: "contains", operand: a, element: b },
    },
  },
  {
    expression: "\ta\r\n=\n:v ",
    placeholders: { values: { ":v": n("1") } },
    condition: {
      kind: "comparison",
      operator: "=",
      left: a,
      right: { kind: "value", value: n("1") },
    },
  },
];

Deno.test("condition parser builds conditions with DynamoDB's precedence", () => {
  for (const testCase of PARSE_CASES) {
    const condition = parseCondition(
      testCase.expression,
      "ConditionExpression",
      attributesOf(testCase.placeholders),
    );
    assert.deepEqual(condition, testCase.condition, testCase.expression);
  }
});

Deno.test("condition parser records placeholders used in short-circuited branches", () => {
  const attributes = attributesOf({
    names: { "#a": "a", "#b": "b" },
    values: { ":one": n("1"), ":two": n("2") },
  });
  parseCondition("#a = :one OR #b = :two", "ConditionExpression", attributes);
  attributes.assertAllUsed();
});

/** Calls `action` below `depth` extra stack frames, as a request handler would. */
function withStackDepth<T>(depth: number, action: () => T): T {
  return depth === 0 ? action() : withStackDepth(depth - 1, action);
}

Deno.test("condition parser handles the deepest nesting that fits in 4096 bytes", () => {
  const deepExpressions = [
    "a < " + "f(".repeat(1363) + "b" + ")".repeat(1363),
    "NOT(".repeat(818) + "a<b" + ")".repeat(818),
    "(".repeat(2046) + "a<b" + ")".repeat(2046),
    "((a<b) AND ".repeat(330) + "a<b" + ")".repeat(330),
    "a = " + "(".repeat(4092),
  ];
  for (const expression of deepExpressions) {
    assert.ok(new TextEncoder().encode(expression).length <= 4096);
    const message = withStackDepth(
      2000,
      () =>
        validationMessageOf(() =>
          parseCondition(expression, "ConditionExpression", attributesOf())
        ),
    );
    assert.match(message, /^Invalid ConditionExpression: /);
  }
});
