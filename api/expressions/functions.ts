/**
 * The functions of DynamoDB's expression language and the messages about their use, shared by the
 * condition and update parsers. DynamoDB recognizes every function name in every expression kind,
 * so `if_not_exists` in a condition is "not allowed in a condition expression" rather than an
 * unknown function. Function names are case-sensitive.
 *
 * @module
 */

/** Every function name DynamoDB recognizes, with its operand count. */
export const FUNCTION_OPERAND_COUNTS: ReadonlyMap<string, number> = new Map([
  ["attribute_exists", 1],
  ["attribute_not_exists", 1],
  ["attribute_type", 2],
  ["begins_with", 2],
  ["contains", 2],
  ["size", 1],
  ["if_not_exists", 2],
  ["list_append", 2],
]);

/** Functions allowed in conditions: the five that are a condition, and `size` as an operand. */
export const CONDITION_FUNCTIONS: ReadonlySet<string> = new Set([
  "attribute_exists",
  "attribute_not_exists",
  "attribute_type",
  "begins_with",
  "contains",
  "size",
]);

/** Functions that compute the value of a SET action. */
export const UPDATE_FUNCTIONS: ReadonlySet<string> = new Set(["if_not_exists", "list_append"]);

/** Returns `Invalid function name; function: <name>`. */
export function unknownFunctionMessage(name: string): string {
  return `Invalid function name; function: ${name}`;
}

/** Returns `The function is not allowed to be used this way in an expression; function: …`. */
export function misusedFunctionMessage(name: string): string {
  return `The function is not allowed to be used this way in an expression; function: ${name}`;
}

/** Returns `Incorrect operand type for operator or function; …, operand type: <type>`. */
export function operandTypeMessage(operator: string, type: string): string {
  return "Incorrect operand type for operator or function; " +
    `operator or function: ${operator}, operand type: ${type}`;
}

/** Returns `Incorrect number of operands for operator or function; …, number of operands: <n>`. */
export function operandCountMessage(name: string, count: number): string {
  return "Incorrect number of operands for operator or function; " +
    `operator or function: ${name}, number of operands: ${count}`;
}
