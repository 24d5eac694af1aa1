/**
 * Evaluates a parsed {@linkcode Condition} against an item, with DynamoDB's semantics:
 *
 * - a missing attribute (or an item that does not exist) makes every comparison false, except
 *   `<>`, which is true whenever the two sides are not equal, missing sides included;
 * - values of different types are never equal and never ordered;
 * - `<`, `<=`, `>`, `>=` and BETWEEN order only numbers (by value), strings (by UTF-8 bytes) and
 *   binaries (by bytes); `=`, `<>` and IN compare any types, sets as sets;
 * - `size()` of a value that has no size (a number, boolean or null) makes its comparison false.
 *
 * Called on the request path for conditional writes and filters, and later on every replica when
 * a write is applied, so it is deterministic and never throws for any item.
 *
 * @module
 */

import { type AttributeValue, type Item, typeOf } from "../attribute_value.ts";
import type { Condition, Operand } from "./ast.ts";
import { readPath } from "./document_path.ts";
import { beginsWith, compareOrdered, containsValue, sizeOf, valuesEqual } from "./value_compare.ts";

/**
 * Returns whether `item` satisfies `condition`. `item` is `undefined` when the item does not
 * exist, which DynamoDB treats as an item without attributes.
 */
export function evaluateCondition(condition: Condition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case "and":
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case "or":
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case "not":
      return !evaluateCondition(condition.condition, item);
    case "comparison":
      return evaluateComparison(
        condition.operator,
        operandValue(condition.left, item),
        operandValue(condition.right, item),
      );
    case "between":
      return evaluateBetween(
        operandValue(condition.operand, item),
        operandValue(condition.lower, item),
        operandValue(condition.upper, item),
      );
    case "in":
      return evaluateIn(
        operandValue(condition.operand, item),
        condition.candidates.map((candidate) => operandValue(candidate, item)),
      );
    default:
      return evaluateFunction(condition, item);
  }
}

type FunctionCondition = Extract<
  Condition,
  {
    kind:
      | "attribute_exists"
      | "attribute_not_exists"
      | "attribute_type"
      | "begins_with"
      | "contains";
  }
>;

function evaluateFunction(condition: FunctionCondition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case "attribute_exists":
      return readPath(item, condition.path) !== undefined;
    case "attribute_not_exists":
      return readPath(item, condition.path) === undefined;
    case "attribute_type": {
      const value = operandValue(condition.operand, item);
      const type = operandValue(condition.type, item);
      return value !== undefined && type !== undefined && "S" in type && typeOf(value) === type.S;
    }
    case "begins_with": {
      const value = operandValue(condition.operand, item);
      const prefix = operandValue(condition.prefix, item);
      return value !== undefined && prefix !== undefined && beginsWith(value, prefix);
    }
    case "contains": {
      const value = operandValue(condition.operand, item);
      const element = operandValue(condition.element, item);
      return value !== undefined && element !== undefined && containsValue(value, element);
    }
  }
}

/** Returns the value of an operand for `item`, or `undefined` when it has none. */
export function operandValue(operand: Operand, item: Item | undefined): AttributeValue | undefined {
  switch (operand.kind) {
    case "value":
      return operand.value;
    case "path":
      return readPath(item, operand.path);
    case "size": {
      const value = operandValue(operand.operand, item);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
  }
}

function evaluateComparison(
  operator: "=" | "<>" | "<" | "<=" | ">" | ">=",
  left: AttributeValue | undefined,
  right: AttributeValue | undefined,
): boolean {
  if (operator === "=") {
    return left !== undefined && right !== undefined && valuesEqual(left, right);
  }
  if (operator === "<>") {
    return left === undefined || right === undefined || !valuesEqual(left, right);
  }
  if (left === undefined || right === undefined) return false;
  const order = compareOrdered(left, right);
  if (order === undefined) return false;
  switch (operator) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    default:
      return order >= 0;
  }
}

function evaluateBetween(
  value: AttributeValue | undefined,
  lower: AttributeValue | undefined,
  upper: AttributeValue | undefined,
): boolean {
  if (value === undefined || lower === undefined || upper === undefined) return false;
  const fromLower = compareOrdered(value, lower);
  const toUpper = compareOrdered(value, upper);
  return fromLower !== undefined && toUpper !== undefined && fromLower >= 0 && toUpper <= 0;
}

function evaluateIn(
  value: AttributeValue | undefined,
  candidates: readonly (AttributeValue | undefined)[],
): boolean {
  if (value === undefined) return false;
  return candidates.some((candidate) => candidate !== undefined && valuesEqual(value, candidate));
}
