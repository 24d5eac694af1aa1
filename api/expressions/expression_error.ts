/**
 * The five expression parameters, the errors DynamoDB raises for them, and the checks every
 * expression gets before it is parsed (not empty, at most 4096 bytes).
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

/** Maximum length of any expression parameter, in UTF-8 bytes. 4096 bytes pass, 4097 fail. */
export const EXPRESSION_SIZE_MAX_BYTES = 4096;

const utf8 = new TextEncoder();

/** Returns the ValidationException `Invalid <kind>: <detail>`. */
export function expressionError(kind: ExpressionKind, detail: string): DynamoDBError {
  return validationError(`Invalid ${kind}: ${detail}`);
}

/**
 * Checks an expression before parsing: it must not be empty and must fit in 4096 UTF-8 bytes.
 * DynamoDB reports the size before any syntax error, so a long malformed expression gets the size
 * message.
 *
 * @throws DynamoDBError ValidationException
 * `Invalid <kind>: The expression can not be empty;` or
 * `Invalid <kind>: Expression size has exceeded the maximum allowed size; expression size: <n>`.
 */
export function checkExpressionText(kind: ExpressionKind, text: string): void {
  if (text.length === 0) throw expressionError(kind, "The expression can not be empty;");
  const sizeBytes = utf8.encode(text).length;
  if (sizeBytes > EXPRESSION_SIZE_MAX_BYTES) {
    throw expressionError(
      kind,
      `Expression size has exceeded the maximum allowed size; expression size: ${sizeBytes}`,
    );
  }
}
