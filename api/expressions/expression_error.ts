/**
 * The five expression parameters, the errors DynamoDB raises for them, and the checks every
 * expression gets before it is parsed (not empty, at most 4096 characters).
 *
 * Every message of a parse error starts with `Invalid <Kind>: `, for example
 * `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"`.
 *
 * @module
 */

import { type DynamoDBError, validationError } from "../errors.ts";

/** The request parameter an expression came from; it names the expression in error messages. */
export type ExpressionKind =
  | "ConditionExpression"
  | "FilterExpression"
  | "KeyConditionExpression"
  | "ProjectionExpression"
  | "UpdateExpression";

/**
 * Maximum length of any expression parameter in UTF-16 code units, which is what DynamoDB Local
 * (sharing DynamoDB's expression code) measures: 4096 pass, 4097 fail. Expressions are almost
 * always ASCII, where this equals the documented 4 KB.
 */
export const EXPRESSION_LENGTH_MAX = 4096;

/** Returns the ValidationException `Invalid <kind>: <detail>`. */
export function expressionError(kind: ExpressionKind, detail: string): DynamoDBError {
  return validationError(`Invalid ${kind}: ${detail}`);
}

/**
 * Checks an expression before parsing: it must not be empty and must be at most 4096 characters
 * long. DynamoDB reports the size before any syntax error, so a long malformed expression gets the
 * size message. Only the condition-shaped kinds state the size; an UpdateExpression or
 * ProjectionExpression message ends at the semicolon, as DynamoDB's does.
 *
 * @throws DynamoDBError ValidationException
 * `Invalid <kind>: The expression can not be empty;` or
 * `Invalid <kind>: Expression size has exceeded the maximum allowed size; expression size: <n>`.
 */
export function checkExpressionText(kind: ExpressionKind, text: string): void {
  if (text.length === 0) throw expressionError(kind, "The expression can not be empty;");
  if (text.length <= EXPRESSION_LENGTH_MAX) return;
  const statesSize = kind !== "UpdateExpression" && kind !== "ProjectionExpression";
  throw expressionError(
    kind,
    "Expression size has exceeded the maximum allowed size;" +
      (statesSize ? ` expression size: ${text.length}` : ""),
  );
}
