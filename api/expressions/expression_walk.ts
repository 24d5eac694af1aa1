/**
 * The second of the three passes every expression goes through (see `syntax_tree.ts`): a walk
 * over the parsed tree in reading order that stops at the first bare reserved word, list index
 * beyond a 32-bit signed integer, unknown function, or function used where DynamoDB does not
 * allow it. Placeholders are not looked at yet, so a reserved word late in an expression is
 * reported before an undefined placeholder early in it.
 *
 * Where a function may appear depends on how deep it sits inside comparisons, BETWEEN, IN, `+`,
 * `-` and other function calls. In a condition, `size` is the only function allowed inside
 * another construct, and the only one not allowed on its own. In an update, `if_not_exists` is the
 * only function allowed inside `+`, `-` or another function.
 *
 * @module
 */

import { expressionError, type ExpressionKind } from "./expression_error.ts";
import {
  CONDITION_FUNCTIONS,
  FUNCTION_OPERAND_COUNTS,
  misusedFunctionMessage,
  unknownFunctionMessage,
  UPDATE_FUNCTIONS,
} from "./functions.ts";
import { isReservedWord } from "./reserved_words.ts";
import type { RawCondition, RawOperand, RawPath } from "./syntax_tree.ts";

/** The largest list index a document path may hold (2^31 - 1). */
export const LIST_INDEX_MAX = 2147483647;

/** Which expression a function call appears in; it decides which functions are allowed. */
export type FunctionContext = "condition" | "update";

/**
 * Checks the steps of a path in order: a bare name must not be a reserved word and an index must
 * fit a 32-bit signed integer.
 *
 * @throws DynamoDBError ValidationException `Invalid <kind>: Attribute name is a reserved keyword;
 * reserved keyword: <w>` or `Invalid <kind>: List index is not within the allowable range; index:
 * [<digits>]`.
 */
export function checkPathWords(kind: ExpressionKind, path: RawPath): void {
  for (const step of path.steps) {
    if (step.kind === "identifier" && isReservedWord(step.text)) {
      throw expressionError(
        kind,
        `Attribute name is a reserved keyword; reserved keyword: ${step.text}`,
      );
    }
    if (step.kind === "index" && !indexInRange(step.text)) {
      throw expressionError(
        kind,
        `List index is not within the allowable range; index: [${step.text}]`,
      );
    }
  }
}

function indexInRange(digits: string): boolean {
  const significant = digits.replace(/^0+(?=.)/, "");
  const limit = String(LIST_INDEX_MAX);
  return significant.length < limit.length ||
    (significant.length === limit.length && significant <= limit);
}

/**
 * Checks a function call as the walk reaches it, before its arguments. `depth` counts the
 * comparisons, BETWEEN, IN, `+`, `-` and function calls around the call.
 *
 * @throws DynamoDBError ValidationException `Invalid function name; function: <f>`, `The function
 * is not allowed in a condition expression; function: <f>` (or `in an update expression`), or
 * `The function is not allowed to be used this way in an expression; function: <f>`.
 */
export function checkFunctionCall(
  kind: ExpressionKind,
  name: string,
  context: FunctionContext,
  depth: number,
): void {
  if (!FUNCTION_OPERAND_COUNTS.has(name)) throw expressionError(kind, unknownFunctionMessage(name));
  if (context === "condition") {
    if (!CONDITION_FUNCTIONS.has(name)) {
      throw expressionError(
        kind,
        `The function is not allowed in a condition expression; function: ${name}`,
      );
    }
    // size() yields a number: it cannot be a condition, and it is the only function that can
    // be an operand.
    if ((depth === 0) === (name === "size")) {
      throw expressionError(kind, misusedFunctionMessage(name));
    }
    return;
  }
  if (!UPDATE_FUNCTIONS.has(name)) {
    throw expressionError(
      kind,
      `The function is not allowed in an update expression; function: ${name}`,
    );
  }
  if (depth > 0 && name !== "if_not_exists") {
    throw expressionError(kind, misusedFunctionMessage(name));
  }
}

/** Walks an operand at `depth`: its path steps, or a call and then its arguments one level deeper. */
export function walkOperand(
  kind: ExpressionKind,
  operand: RawOperand,
  context: FunctionContext,
  depth: number,
): void {
  if (operand.kind === "path") {
    checkPathWords(kind, operand);
  } else if (operand.kind === "call") {
    checkFunctionCall(kind, operand.name, context, depth);
    for (const argument of operand.arguments) walkOperand(kind, argument, context, depth + 1);
  }
}

/**
 * Walks a condition in reading order; AND, OR and NOT add no depth.
 *
 * @throws DynamoDBError ValidationException as {@linkcode checkPathWords} and
 * {@linkcode checkFunctionCall} do.
 */
export function walkCondition(kind: ExpressionKind, condition: RawCondition): void {
  switch (condition.kind) {
    case "and":
    case "or":
      walkCondition(kind, condition.left);
      walkCondition(kind, condition.right);
      return;
    case "not":
      walkCondition(kind, condition.condition);
      return;
    case "comparison":
      walkOperand(kind, condition.left, "condition", 1);
      walkOperand(kind, condition.right, "condition", 1);
      return;
    case "between":
      for (const operand of [condition.operand, condition.lower, condition.upper]) {
        walkOperand(kind, operand, "condition", 1);
      }
      return;
    case "in":
      walkOperand(kind, condition.operand, "condition", 1);
      for (const candidate of condition.candidates) walkOperand(kind, candidate, "condition", 1);
      return;
    case "function":
      walkOperand(kind, condition.call, "condition", 0);
  }
}
