/**
 * The `ExpressionAttributeNames` and `ExpressionAttributeValues` of one request, and which of
 * their placeholders the request's expressions used.
 *
 * An operation handler creates one {@linkcode ExpressionAttributes} per request, passes it to every
 * expression parser of that request, then calls {@linkcode ExpressionAttributes.assertAllUsed}:
 * DynamoDB rejects a request whose maps hold a placeholder that no expression uses. Usage is
 * recorded while parsing, never while evaluating, so a short-circuited `OR` still counts both
 * sides as used. Runs on the request path.
 *
 * @module
 */

import type { AttributeValue } from "../attribute_value.ts";
import { validationError } from "../errors.ts";

const NAME_KEY_PATTERN = /^#[0-9A-Za-z_]+$/;
const VALUE_KEY_PATTERN = /^:[0-9A-Za-z_]+$/;

/** Maximum length of a placeholder key, `#` or `:` included, in characters (ASCII, so bytes). */
export const PLACEHOLDER_KEY_LENGTH_MAX = 255;

/** Tracks ExpressionAttributeNames/Values of one request and which placeholders were used. */
export class ExpressionAttributes {
  readonly #names: Readonly<Record<string, string>>;
  readonly #values: Readonly<Record<string, AttributeValue>>;
  readonly #unusedNames: Set<string>;
  readonly #unusedValues: Set<string>;

  /**
   * Checks the two maps as DynamoDB does before it parses any expression.
   *
   * @param names `ExpressionAttributeNames` as sent, or `undefined` when absent.
   * @param values `ExpressionAttributeValues` as sent and already validated as attribute values,
   * or `undefined` when absent.
   * @throws DynamoDBError ValidationException for an empty map
   * (`ExpressionAttributeNames must not be empty`), a key that is not `#` or `:` followed by
   * letters, digits and underscores
   * (`ExpressionAttributeNames contains invalid key: Syntax error; key: "<key>"`), a key longer
   * than 255 characters, or a name that is the empty string.
   */
  constructor(
    names: Record<string, string> | undefined,
    values: Record<string, AttributeValue> | undefined,
  ) {
    checkKeys("ExpressionAttributeNames", names, NAME_KEY_PATTERN);
    checkNames(names);
    checkKeys("ExpressionAttributeValues", values, VALUE_KEY_PATTERN);
    this.#names = names ?? {};
    this.#values = values ?? {};
    this.#unusedNames = new Set(Object.keys(this.#names));
    this.#unusedValues = new Set(Object.keys(this.#values));
  }

  /**
   * Returns the attribute name that `placeholder` (`#name`) stands for and records it as used, or
   * `undefined` when the request does not define it.
   */
  resolveName(placeholder: string): string | undefined {
    if (!Object.hasOwn(this.#names, placeholder)) return undefined;
    this.#unusedNames.delete(placeholder);
    return this.#names[placeholder];
  }

  /**
   * Returns the value that `placeholder` (`:value`) stands for and records it as used, or
   * `undefined` when the request does not define it.
   */
  resolveValue(placeholder: string): AttributeValue | undefined {
    if (!Object.hasOwn(this.#values, placeholder)) return undefined;
    this.#unusedValues.delete(placeholder);
    return this.#values[placeholder];
  }

  /**
   * After all of a request's expressions are parsed: throws the unused-placeholder errors.
   *
   * @throws DynamoDBError ValidationException
   * `Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}`, checked
   * before the same message for `ExpressionAttributeValues`.
   */
  assertAllUsed(): void {
    if (this.#unusedNames.size > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${
          [...this.#unusedNames].join(", ")
        }}`,
      );
    }
    if (this.#unusedValues.size > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${
          [...this.#unusedValues].join(", ")
        }}`,
      );
    }
  }
}

function checkKeys(
  parameter: string,
  map: Record<string, unknown> | undefined,
  pattern: RegExp,
): void {
  if (map === undefined) return;
  const keys = Object.keys(map);
  if (keys.length === 0) throw validationError(`${parameter} must not be empty`);
  for (const key of keys) {
    if (!pattern.test(key)) {
      throw validationError(`${parameter} contains invalid key: Syntax error; key: "${key}"`);
    }
    // NOTE: this message and the empty-name one below are the texts of Amazon's DAX client, which
    // checks requests the way DynamoDB does. No test suite records DynamoDB's own wording.
    if (key.length > PLACEHOLDER_KEY_LENGTH_MAX) {
      throw validationError(
        `${parameter} contains invalid key: The expression attribute map contains a key that is ` +
          "too long",
      );
    }
  }
}

function checkNames(names: Record<string, string> | undefined): void {
  for (const [key, name] of Object.entries(names ?? {})) {
    if (name === "") {
      throw validationError(`ExpressionAttributeNames contains invalid value: for key ${key}`);
    }
  }
}
