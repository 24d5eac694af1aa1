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
/** Maximum size of an attribute name in ExpressionAttributeNames, in UTF-8 bytes. */
export const ATTRIBUTE_NAME_SIZE_MAX_BYTES = 65535;

const utf8 = new TextEncoder();

/**
 * Checks the keys of both maps as DynamoDB does before it validates the attribute values of
 * ExpressionAttributeValues: for each map, names first, that it is not empty, then each key (not
 * empty, at most 255 characters, `#` or `:` followed by letters, digits and underscores). The
 * {@linkcode ExpressionAttributes} constructor repeats these checks.
 *
 * @throws DynamoDBError ValidationException `ExpressionAttributeNames must not be empty`, or
 * `ExpressionAttributeNames contains invalid key: Syntax error; key: "<key>"` and the other key
 * messages, or the same for ExpressionAttributeValues.
 */
export function checkPlaceholderKeys(
  names: Readonly<Record<string, unknown>> | undefined,
  values: Readonly<Record<string, unknown>> | undefined,
): void {
  checkKeys("ExpressionAttributeNames", names, NAME_KEY_PATTERN);
  checkKeys("ExpressionAttributeValues", values, VALUE_KEY_PATTERN);
}

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
   * @throws DynamoDBError ValidationException as {@linkcode checkPlaceholderKeys} does, then for
   * an attribute name that is empty or larger than 65535 bytes
   * (`ExpressionAttributeNames contains invalid value: Empty attribute name for key #a`).
   */
  constructor(
    names: Record<string, string> | undefined,
    values: Record<string, AttributeValue> | undefined,
  ) {
    checkPlaceholderKeys(names, values);
    checkNames(names);
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
  map: Readonly<Record<string, unknown>> | undefined,
  pattern: RegExp,
): void {
  if (map === undefined) return;
  const keys = Object.keys(map);
  if (keys.length === 0) throw validationError(`${parameter} must not be empty`);
  for (const key of keys) {
    const problem = keyProblem(key, parameter === "ExpressionAttributeNames", pattern);
    if (problem !== undefined) {
      throw validationError(`${parameter} contains invalid key: ${problem}`);
    }
  }
}

/** Returns what is wrong with one placeholder key, in DynamoDB's order of checks. */
function keyProblem(key: string, isName: boolean, pattern: RegExp): string | undefined {
  if (key === "") return "The expression attribute map contains an empty key;";
  if (key.length > PLACEHOLDER_KEY_LENGTH_MAX) {
    // DynamoDB states the length for names only.
    return "The expression attribute map contains a key that is too long;" +
      (isName ? ` size of key: ${key.length}` : "");
  }
  if (!pattern.test(key)) return `Syntax error; key: "${key}"`;
  return undefined;
}

/**
 * Checks the attribute names themselves.
 * NOTE: the empty-name text is DynamoDB Local's "Empty attribute name" error, assumed to be the
 * one its attribute-name conversion raises here; no recorded DynamoDB response confirms it.
 */
function checkNames(names: Readonly<Record<string, string>> | undefined): void {
  for (const [key, name] of Object.entries(names ?? {})) {
    let problem: string | undefined;
    if (name === "") problem = "Empty attribute name";
    if (utf8.encode(name).length > ATTRIBUTE_NAME_SIZE_MAX_BYTES) {
      problem = "Attribute name is too large, must be less than 65536 bytes";
    }
    if (problem !== undefined) {
      throw validationError(
        `ExpressionAttributeNames contains invalid value: ${problem} for key ${key}`,
      );
    }
  }
}
