/**
 * Parses ConditionExpression and FilterExpression into a {@linkcode Condition}: grammar first,
 * then limits, then the semantic checks with DynamoDB's messages and precedence.
 *
 * DynamoDB reports one error per request. After a syntax error (always first) and the operator
 * limits, the semantic errors rank as follows, and within a rank the leftmost wins:
 *
 * 1. redundant parentheses, `((a = b))`;
 * 2. an unknown function name;
 * 3. a function used where it is not allowed (`size(a)` as a condition, `contains(…) = :v`);
 * 4. a bare reserved word as an attribute name;
 * 5. the first comparison or function condition with an error of its own, ranked within it as
 *    undefined placeholder, wrong operand count, identical operands, wrong operand type.
 *
 * This order is the one dynalite's grammar (tested against DynamoDB) applies. Called by
 * operation handlers on the request path; `key_condition.ts` reuses {@linkcode resolveCondition}.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import type { Condition, Operand } from "./ast.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { parseConditionSyntax } from "./condition_grammar.ts";
import { type DocumentPath, formatPath, pathsEqual } from "./document_path.ts";
import { checkExpressionText, expressionError, type ExpressionKind } from "./expression_error.ts";
import { resolvePath } from "./path_resolver.ts";
import type { RawCall, RawCondition, RawOperand } from "./syntax_tree.ts";
import { compareOrdered } from "./value_compare.ts";
import {
  CONDITION_FUNCTIONS,
  FUNCTION_OPERAND_COUNTS,
  misusedFunctionMessage,
  operandCountMessage,
  operandTypeMessage,
  unknownFunctionMessage,
} from "./functions.ts";

/** Maximum number of operators (comparisons, BETWEEN, IN, AND, OR, NOT) in one expression. */
export const OPERATOR_COUNT_MAX = 300;
/** Maximum number of operands of one IN, counting the operand left of IN. */
export const IN_OPERAND_COUNT_MAX = 100;

const ORDERED_TYPES: ReadonlySet<string> = new Set(["N", "S", "B"]);
const ATTRIBUTE_TYPE_NAMES: ReadonlySet<string> = new Set([
  "S",
  "N",
  "B",
  "NULL",
  "SS",
  "BOOL",
  "L",
  "BS",
  "NS",
  "M",
]);

/**
 * Parses a ConditionExpression or FilterExpression, resolving its placeholders through
 * `attributes` (which records them as used).
 *
 * @example
 * ```ts
 * import { ExpressionAttributes, parseCondition } from "./mod.ts";
 * const attributes = new ExpressionAttributes(undefined, { ":min": { N: "10" } });
 * const condition = parseCondition("price >= :min", "ConditionExpression", attributes);
 * ```
 * @throws DynamoDBError ValidationException with DynamoDB's `Invalid <kind>: …` message.
 */
export function parseCondition(
  text: string,
  kind: "ConditionExpression" | "FilterExpression",
  attributes: ExpressionAttributes,
): Condition {
  return parseAndResolveCondition(text, kind, attributes);
}

/** Parses and checks any condition-shaped expression, KeyConditionExpression included. */
export function parseAndResolveCondition(
  text: string,
  kind: ExpressionKind,
  attributes: ExpressionAttributes,
): Condition {
  checkExpressionText(kind, text);
  const syntax = parseConditionSyntax(kind, text);
  if (syntax.operatorCount > OPERATOR_COUNT_MAX) {
    throw expressionError(
      kind,
      `The expression contains too many operators; operator count: ${OPERATOR_COUNT_MAX + 1}`,
    );
  }
  if (syntax.inOperandCountMax > IN_OPERAND_COUNT_MAX) {
    throw expressionError(
      kind,
      "The IN operator is provided with too many operands; number of operands: " +
        syntax.inOperandCountMax,
    );
  }
  return resolveCondition(syntax.condition, kind, attributes);
}

/**
 * Resolves placeholders in a parsed condition and applies the semantic checks.
 *
 * @throws DynamoDBError ValidationException for the highest-ranked semantic error.
 */
export function resolveCondition(
  raw: RawCondition,
  kind: ExpressionKind,
  attributes: ExpressionAttributes,
): Condition {
  const resolver = new ConditionResolver(attributes);
  const condition = resolver.condition(raw);
  const message = resolver.firstError();
  if (message !== undefined) throw expressionError(kind, message);
  return condition;
}

/** Errors of one comparison or function condition, first occurrence of each rank. */
class LeafErrors {
  placeholder?: string;
  operandCount?: string;
  distinct?: string;
  operandType?: string;

  first(): string | undefined {
    return this.placeholder ?? this.operandCount ?? this.distinct ?? this.operandType;
  }
}

/** An operand after resolution, with what the checks need to know about it. */
interface CheckedOperand {
  readonly operand: Operand;
  /** The type the operand has whatever the item holds, when that is known before evaluation. */
  readonly staticType?: string;
  /** Set when the operand is a document path. */
  readonly path?: DocumentPath;
}

const UNKNOWN_OPERAND: CheckedOperand = { operand: { kind: "value", value: { NULL: true } } };

class ConditionResolver {
  readonly #attributes: ExpressionAttributes;
  #parentheses?: string;
  #unknownFunction?: string;
  #misusedFunction?: string;
  #reserved?: string;
  #leafError?: string;

  constructor(attributes: ExpressionAttributes) {
    this.#attributes = attributes;
  }

  firstError(): string | undefined {
    return this.#parentheses ?? this.#unknownFunction ?? this.#misusedFunction ??
      this.#reserved ?? this.#leafError;
  }

  condition(raw: RawCondition): Condition {
    this.#checkParentheses(raw.parentheses);
    switch (raw.kind) {
      case "and":
      case "or":
        return { kind: raw.kind, left: this.condition(raw.left), right: this.condition(raw.right) };
      case "not":
        return { kind: "not", condition: this.condition(raw.condition) };
      default: {
        const leaf = new LeafErrors();
        const condition = this.#leaf(raw, leaf);
        this.#leafError ??= leaf.first();
        return condition;
      }
    }
  }

  #leaf(raw: RawCondition, leaf: LeafErrors): Condition {
    switch (raw.kind) {
      case "comparison":
        return this.#comparison(raw.operator, raw.left, raw.right, leaf);
      case "between":
        return this.#between(raw.operand, raw.lower, raw.upper, leaf);
      case "in":
        return {
          kind: "in",
          operand: this.#operand(raw.operand, leaf).operand,
          candidates: raw.candidates.map((candidate) => this.#operand(candidate, leaf).operand),
        };
      case "function":
        return this.#functionCondition(raw.call, leaf);
      default:
        throw new TypeError(`not a leaf condition: ${raw.kind}`);
    }
  }

  #comparison(
    operator: "=" | "<>" | "<" | "<=" | ">" | ">=",
    rawLeft: RawOperand,
    rawRight: RawOperand,
    leaf: LeafErrors,
  ): Condition {
    const left = this.#operand(rawLeft, leaf);
    const right = this.#operand(rawRight, leaf);
    checkDistinct(operator, left, right, leaf);
    if (operator !== "=" && operator !== "<>") {
      for (const side of [left, right]) checkOrderedOperand(operator, side, leaf);
    }
    return { kind: "comparison", operator, left: left.operand, right: right.operand };
  }

  #between(
    rawOperand: RawOperand,
    rawLower: RawOperand,
    rawUpper: RawOperand,
    leaf: LeafErrors,
  ): Condition {
    const operand = this.#operand(rawOperand, leaf);
    const lower = this.#operand(rawLower, leaf);
    const upper = this.#operand(rawUpper, leaf);
    for (const side of [operand, lower, upper]) checkOrderedOperand("BETWEEN", side, leaf);
    if (lower.operand.kind === "value" && upper.operand.kind === "value") {
      leaf.operandType ??= betweenBoundsError(lower.operand.value, upper.operand.value);
    }
    return {
      kind: "between",
      operand: operand.operand,
      lower: lower.operand,
      upper: upper.operand,
    };
  }

  #functionCondition(call: RawCall, leaf: LeafErrors): Condition {
    const callArguments = call.arguments.map((argument) => this.#operand(argument, leaf));
    const known = this.#checkFunctionName(call.name);
    if (!known) return { kind: "true" };
    if (!CONDITION_FUNCTIONS.has(call.name)) {
      this.#misusedFunction ??= misusedFunctionMessage(call.name);
      return { kind: "true" };
    }
    if (!checkOperandCount(call.name, callArguments, leaf)) return { kind: "true" };
    const [first, second] = callArguments as [CheckedOperand, CheckedOperand];
    if (second !== undefined) checkDistinct(call.name, first, second, leaf);
    switch (call.name) {
      case "attribute_exists":
      case "attribute_not_exists":
        if (first.path === undefined) {
          leaf.operandType ??= "Operator or function requires a document path; " +
            `operator or function: ${call.name}`;
          return { kind: "true" };
        }
        return { kind: call.name, path: first.path };
      case "attribute_type":
        checkAttributeTypeName(second, leaf);
        return { kind: "attribute_type", operand: first.operand, type: second.operand };
      case "begins_with":
        for (const argument of [first, second]) checkBeginsWithOperand(argument, leaf);
        return { kind: "begins_with", operand: first.operand, prefix: second.operand };
      default:
        return { kind: "contains", operand: first.operand, element: second.operand };
    }
  }

  /** Resolves an operand; a call here must be `size`, the only function that yields a value. */
  #operand(raw: RawOperand, leaf: LeafErrors): CheckedOperand {
    this.#checkParentheses(raw.parentheses);
    if (raw.kind === "value") {
      const value = this.#attributes.resolveValue(raw.placeholder);
      if (value === undefined) {
        leaf.placeholder ??= "An expression attribute value used in expression is not defined; " +
          `attribute value: ${raw.placeholder}`;
        return UNKNOWN_OPERAND;
      }
      return { operand: { kind: "value", value }, staticType: typeOf(value) };
    }
    if (raw.kind === "path") {
      const resolved = resolvePath(raw, this.#attributes);
      if (resolved.reservedWord !== undefined) {
        this.#reserved ??= "Attribute name is a reserved keyword; reserved keyword: " +
          resolved.reservedWord;
      }
      if (resolved.undefinedName !== undefined) {
        leaf.placeholder ??= "An expression attribute name used in the document path is not " +
          `defined; attribute name: ${resolved.undefinedName}`;
        return UNKNOWN_OPERAND;
      }
      return { operand: { kind: "path", path: resolved.path }, path: resolved.path };
    }
    return this.#sizeCall(raw, leaf);
  }

  #sizeCall(call: RawCall, leaf: LeafErrors): CheckedOperand {
    const callArguments = call.arguments.map((argument) => this.#operand(argument, leaf));
    if (!this.#checkFunctionName(call.name)) return UNKNOWN_OPERAND;
    if (call.name !== "size") {
      this.#misusedFunction ??= misusedFunctionMessage(call.name);
      return UNKNOWN_OPERAND;
    }
    if (!checkOperandCount(call.name, callArguments, leaf)) return UNKNOWN_OPERAND;
    const argument = callArguments[0] as CheckedOperand;
    const type = argument.staticType;
    if (type === "N" || type === "BOOL" || type === "NULL") {
      leaf.operandType ??= operandTypeMessage("size", type);
    }
    return { operand: { kind: "size", operand: argument.operand }, staticType: "N" };
  }

  #checkFunctionName(name: string): boolean {
    if (FUNCTION_OPERAND_COUNTS.has(name)) return true;
    this.#unknownFunction ??= unknownFunctionMessage(name);
    return false;
  }

  #checkParentheses(count: number): void {
    if (count > 1) this.#parentheses ??= "The expression has redundant parentheses;";
  }
}

/** Records a wrong operand count for a known function; returns whether the count is right. */
function checkOperandCount(
  name: string,
  callArguments: readonly CheckedOperand[],
  leaf: LeafErrors,
): boolean {
  const expected = FUNCTION_OPERAND_COUNTS.get(name);
  if (callArguments.length === expected) return true;
  leaf.operandCount ??= operandCountMessage(name, callArguments.length);
  return false;
}

/** DynamoDB rejects a comparison or function whose first two operands are the same path. */
function checkDistinct(
  operator: string,
  first: CheckedOperand,
  second: CheckedOperand,
  leaf: LeafErrors,
): void {
  if (first.path === undefined || second.path === undefined) return;
  if (!pathsEqual(first.path, second.path)) return;
  leaf.distinct ??= "The first operand must be distinct from the remaining operands for this " +
    `operator or function; operator: ${operator}, first operand: ${formatPath(first.path)}`;
}

/** `<`, `<=`, `>`, `>=` and BETWEEN accept constants of type N, S and B only. */
function checkOrderedOperand(operator: string, side: CheckedOperand, leaf: LeafErrors): void {
  const type = side.staticType;
  if (type !== undefined && !ORDERED_TYPES.has(type)) {
    leaf.operandType ??= operandTypeMessage(operator, type);
  }
}

function checkBeginsWithOperand(argument: CheckedOperand, leaf: LeafErrors): void {
  const type = argument.staticType;
  if (type !== undefined && type !== "S" && type !== "B") {
    leaf.operandType ??= operandTypeMessage("begins_with", type);
  }
}

/** The second operand of `attribute_type` must be a string constant naming a type. */
function checkAttributeTypeName(second: CheckedOperand, leaf: LeafErrors): void {
  if (second.staticType !== "S") {
    // A path could hold any type, so DynamoDB lists them all as the operand type.
    const type = second.staticType ?? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";
    leaf.operandType ??= operandTypeMessage("attribute_type", type);
    return;
  }
  const name = (second.operand as { value: { S: string } }).value.S;
  if (!ATTRIBUTE_TYPE_NAMES.has(name)) {
    leaf.operandType ??= `Invalid attribute type name found; type: ${name}, ` +
      "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}";
  }
}

/** Checks two constant BETWEEN bounds: same type, lower not above upper. */
function betweenBoundsError(lower: AttributeValue, upper: AttributeValue): string | undefined {
  const bounds = `lower bound operand: AttributeValue: ${renderValue(lower)}, ` +
    `upper bound operand: AttributeValue: ${renderValue(upper)}`;
  if (typeOf(lower) !== typeOf(upper)) {
    return `The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`;
  }
  const order = compareOrdered(lower, upper);
  if (order !== undefined && order > 0) {
    return "The BETWEEN operator requires upper bound to be greater than or equal to lower " +
      `bound; ${bounds}`;
  }
  return undefined;
}

/** Renders a scalar constant as DynamoDB's BETWEEN messages do: `{N:10}`, `{S:abc}`. */
function renderValue(value: AttributeValue): string {
  const type = typeOf(value);
  return `{${type}:${String((value as Record<string, unknown>)[type])}}`;
}
