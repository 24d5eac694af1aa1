/**
 * Parses ConditionExpression and FilterExpression into a {@linkcode Condition}, with DynamoDB's
 * messages and DynamoDB's order of checks:
 *
 * 1. the text: not empty, at most 4096 characters;
 * 2. the grammar (`condition_grammar.ts`): syntax errors and redundant parentheses;
 * 3. the walk in reading order (`expression_walk.ts`): reserved words, list indexes, function
 *    names and where each function may appear;
 * 4. resolution children first (`expression_validator.ts`): undefined placeholders, path depth,
 *    then per operator its operand count, operand types, repeated operand, BETWEEN bounds and IN
 *    operand count, and the operator count.
 *
 * This order is that of DynamoDB Local, which shares its expression code with DynamoDB. Called by
 * operation handlers on the request path; `key_condition.ts` reuses
 * {@linkcode parseAndResolveCondition}.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import type { Condition, Operand } from "./ast.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { parseConditionSyntax } from "./condition_grammar.ts";
import { checkExpressionText, type ExpressionKind } from "./expression_error.ts";
import {
  type CheckedOperand,
  ExpressionValidator,
  IN_CANDIDATE_COUNT_MAX,
  ORDERED_TYPES,
  SIZED_TYPES,
  STRING_BINARY_TYPES,
} from "./expression_validator.ts";
import { walkCondition } from "./expression_walk.ts";
import { operandTypeMessage } from "./functions.ts";
import type { RawCall, RawCondition, RawOperand } from "./syntax_tree.ts";
import { compareOrdered } from "./value_compare.ts";

const ANY_TYPE: ReadonlySet<string> = new Set([
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
  const raw = parseConditionSyntax(kind, text);
  walkCondition(kind, raw);
  return new ConditionResolver(new ExpressionValidator(kind, attributes)).condition(raw);
}

type CheckedConditionOperand = CheckedOperand<Operand>;

class ConditionResolver {
  readonly #validator: ExpressionValidator;

  constructor(validator: ExpressionValidator) {
    this.#validator = validator;
  }

  condition(raw: RawCondition): Condition {
    let condition: Condition;
    switch (raw.kind) {
      case "and":
      case "or": {
        const left = this.condition(raw.left);
        condition = { kind: raw.kind, left, right: this.condition(raw.right) };
        break;
      }
      case "not":
        condition = { kind: "not", condition: this.condition(raw.condition) };
        break;
      case "comparison":
        condition = this.#comparison(raw.operator, raw.left, raw.right);
        break;
      case "between":
        condition = this.#between(raw.operand, raw.lower, raw.upper);
        break;
      case "in":
        condition = this.#in(raw.operand, raw.candidates);
        break;
      case "function":
        condition = this.#functionCondition(raw.call);
    }
    this.#validator.countOperator();
    return condition;
  }

  #comparison(
    operator: "=" | "<>" | "<" | "<=" | ">" | ">=",
    rawLeft: RawOperand,
    rawRight: RawOperand,
  ): Condition {
    const operands = [this.#operand(rawLeft), this.#operand(rawRight)] as const;
    const ordered = operator !== "=" && operator !== "<>";
    this.#validator.checkOperandTypes(operator, operands, ordered ? ORDERED_TYPES : ANY_TYPE);
    this.#validator.checkDistinct(operator, operands);
    return { kind: "comparison", operator, left: operands[0].operand, right: operands[1].operand };
  }

  #between(rawOperand: RawOperand, rawLower: RawOperand, rawUpper: RawOperand): Condition {
    const operands = [rawOperand, rawLower, rawUpper].map((raw) => this.#operand(raw));
    const [operand, lower, upper] = operands as [
      CheckedConditionOperand,
      CheckedConditionOperand,
      CheckedConditionOperand,
    ];
    this.#validator.checkOperandTypes("BETWEEN", operands, ORDERED_TYPES);
    this.#validator.checkDistinct("BETWEEN", operands);
    if (lower.operand.kind === "value" && upper.operand.kind === "value") {
      const message = betweenBoundsError(lower.operand.value, upper.operand.value);
      if (message !== undefined) throw this.#validator.error(message);
    }
    return {
      kind: "between",
      operand: operand.operand,
      lower: lower.operand,
      upper: upper.operand,
    };
  }

  #in(rawOperand: RawOperand, rawCandidates: readonly RawOperand[]): Condition {
    const operands = [rawOperand, ...rawCandidates].map((raw) => this.#operand(raw));
    this.#validator.checkDistinct("IN", operands);
    if (rawCandidates.length > IN_CANDIDATE_COUNT_MAX) {
      throw this.#validator.error(
        "The IN operator is provided with too many operands; number of operands: " +
          rawCandidates.length,
      );
    }
    const [operand, ...candidates] = operands.map((checked) => checked.operand);
    return { kind: "in", operand: operand as Operand, candidates };
  }

  #functionCondition(call: RawCall): Condition {
    const operands = call.arguments.map((argument) => this.#operand(argument));
    const name = call.name;
    this.#validator.checkOperandCount(name, operands.length);
    const types = name === "begins_with" ? STRING_BINARY_TYPES : ANY_TYPE;
    this.#validator.checkOperandTypes(name, operands, types);
    this.#validator.checkDistinct(name, operands);
    const [first, second] = operands as [CheckedConditionOperand, CheckedConditionOperand];
    switch (name) {
      case "attribute_exists":
      case "attribute_not_exists":
        if (first.path === undefined) {
          throw this.#validator.error(
            `Operator or function requires a document path; operator or function: ${name}`,
          );
        }
        return { kind: name, path: first.path };
      case "attribute_type":
        this.#checkAttributeTypeName(second);
        return { kind: "attribute_type", operand: first.operand, type: second.operand };
      case "begins_with":
        return { kind: "begins_with", operand: first.operand, prefix: second.operand };
      default:
        return { kind: "contains", operand: first.operand, element: second.operand };
    }
  }

  /** Resolves an operand; a call here is `size`, the only function the walk lets through. */
  #operand(raw: RawOperand): CheckedConditionOperand {
    if (raw.kind !== "call") return this.#validator.leaf(raw);
    const operands = raw.arguments.map((argument) => this.#operand(argument));
    this.#validator.checkOperandCount(raw.name, operands.length);
    this.#validator.checkOperandTypes(raw.name, operands, SIZED_TYPES);
    this.#validator.countOperator();
    const argument = operands[0] as CheckedConditionOperand;
    return { operand: { kind: "size", operand: argument.operand }, staticType: "N" };
  }

  /** The second operand of `attribute_type` must be a string constant naming a type. */
  #checkAttributeTypeName(second: CheckedConditionOperand): void {
    if (second.operand.kind !== "value" || second.staticType !== "S") {
      // A path could hold any type, so DynamoDB lists them all as the operand type.
      const type = second.path === undefined ? second.staticType : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";
      throw this.#validator.error(operandTypeMessage("attribute_type", type ?? "N"));
    }
    const name = (second.operand.value as { S: string }).S;
    if (!ANY_TYPE.has(name)) {
      throw this.#validator.error(
        `Invalid attribute type name found; type: ${name}, ` +
          "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
      );
    }
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
