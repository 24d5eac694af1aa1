/**
 * Validation of attribute values, items and keys from request JSON, with DynamoDB's exact errors.
 * Called by the operation handlers on the request path; returns fresh values (numbers in canonical
 * form, see `number.ts`) and never mutates its input.
 *
 * DynamoDB checks a request in two passes, and so does this module:
 * 1. Deserialisation (`checkAttributeValueJson`, `checkItemJson`): JSON types only. A wrong JSON
 *    type is a `SerializationException` with the wording of AWS's JSON protocol framework, for
 *    example `NUMBER_VALUE can not be converted to a String` for `{"S": 5}` and
 *    `Expected list or null` for `{"SS": "x"}`. A `null` member counts as absent and an unknown
 *    type key is ignored, so `{"S": null}` and `{"X": "a"}` are empty values in the second pass.
 * 2. Validation (`validateAttributeValue`, `validateItem`): `ValidationException`s for an empty or
 *    ambiguous value, `NULL` other than true, numbers, empty sets, duplicate set members, nesting
 *    deeper than 32 levels and attribute names of 64 KB or more. Run pass 1 over every value of a
 *    request before pass 2 over any, because DynamoDB reports a serialisation error first.
 *
 * Sources: dynalite (`validations/index.js`, whose messages were taken from DynamoDB) and the
 * dynamodb-conformance project (paritysuite), which recorded DynamoDB's current wording in 2026
 * (`tests/tier3/error-messages/*.test.ts`, `tests/tier3/limits/*.test.ts`). The wrong-type
 * wording was recorded on Amazon Athena, which runs the same JSON protocol framework.
 *
 * @module
 */

import type { AttributeMap, AttributeValue, Item, ScalarAttributeType } from "./attribute_value.ts";
import { DynamoDBError, serializationError, validationError } from "./errors.ts";
import { canonicalNumber, type NumberMessageStyle } from "./number.ts";
import { setEntry } from "./expressions/document_path.ts";
import {
  keyValueSizeBytes,
  PARTITION_KEY_SIZE_BYTES_MAX,
  SORT_KEY_SIZE_BYTES_MAX,
  utf8ByteLength,
} from "./item_size.ts";

/** A key attribute of a table: its name and scalar type. */
export interface KeyAttribute {
  name: string;
  type: ScalarAttributeType;
}

/** A table's primary key: a partition key and an optional sort key. */
export interface KeySchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

/**
 * Wording of value errors, which differs between operations (recorded by paritysuite,
 * `valueLayers.test.ts`):
 * - PutItem, UpdateItem, DeleteItem: `{ style: "current", envelope: true }`.
 * - GetItem, BatchGetItem, Query: `{ style: "current" }`.
 * - BatchWriteItem, TransactWriteItems, TransactGetItems, Scan: `{ style: "older" }`.
 */
export interface ValueValidationOptions {
  /** Wording generation; see {@linkcode NumberMessageStyle}. Default `"current"`. */
  style?: NumberMessageStyle;
  /** Prefix each message with `1 validation error detected: `. Default false. */
  envelope?: boolean;
}

/** Maximum nesting depth of a value; the attribute itself is level 1. */
export const NESTING_DEPTH_MAX = 32;
/** Maximum UTF-8 length of an attribute name or map key, in bytes. */
export const ATTRIBUTE_NAME_BYTES_MAX = 65535;

const INVALID = "One or more parameter values were invalid: ";
const ENVELOPE = "1 validation error detected: ";
const EMPTY_VALUE_MESSAGE =
  "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
const MULTIPLE_TYPES_MESSAGE =
  "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
export const NESTING_MESSAGE =
  "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const NAME_TOO_LARGE_MESSAGE = "Attribute name is too large, must be less than 65536 bytes";
const KEY_SCHEMA_MESSAGE = "The provided key element does not match the schema";

/** Type keys in the order DynamoDB's model lists them. */
const TYPE_KEYS = new Set(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"]);

// ---------------------------------------------------------------------------------------------
// Pass 1: JSON types (SerializationException)

/** Names the JSON token of a scalar as AWS's JSON protocol framework does in its messages. */
function tokenName(value: unknown): string {
  if (typeof value === "number") return "NUMBER_VALUE";
  if (value === true) return "TRUE_VALUE";
  if (value === false) return "FALSE_VALUE";
  return "STRING_VALUE";
}

/** Throws the framework's error for an array or object where a scalar was expected. */
function rejectStructured(value: unknown): void {
  if (Array.isArray(value)) throw serializationError("Start of list found where not expected");
  if (typeof value === "object" && value !== null) {
    throw serializationError("Start of structure or map found where not expected.");
  }
}

function checkStringJson(value: unknown): void {
  if (value === null || typeof value === "string") return;
  rejectStructured(value);
  throw serializationError(`${tokenName(value)} can not be converted to a String`);
}

function checkBooleanJson(value: unknown): void {
  if (value === null || typeof value === "boolean") return;
  rejectStructured(value);
  throw serializationError(`${tokenName(value)} can not be converted to a Boolean`);
}

function checkBlobJson(value: unknown): void {
  if (value === null) return;
  rejectStructured(value);
  if (typeof value !== "string") {
    throw serializationError(`${tokenName(value)} can not be converted to a Blob`);
  }
  const problem = base64Problem(value);
  if (problem !== undefined) {
    throw serializationError(`'${value}' can not be converted to a Blob: ${problem}`);
  }
}

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Returns why `text` is not canonical, padded base64, in the words of DynamoDB's deserialiser as
 * dynalite records them (its typo "dectected" included), or undefined when it is.
 */
export function base64Problem(text: string): string | undefined {
  if (text.length % 4 !== 0) {
    return `Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}`;
  }
  const invalid = /[^A-Za-z0-9+/=]|=[^=]/.exec(text);
  if (invalid !== null || !BASE64_ALPHABET.test(text)) {
    return `Invalid Base64 character: '${(invalid?.[0] ?? "=")[0]}'`;
  }
  // A non-canonical final character (unused low bits set) decodes but does not round-trip.
  if (btoa(atob(text)) !== text) return "Invalid last non-pad Base64 character dectected";
  return undefined;
}

function checkListJson(value: unknown): value is unknown[] | null {
  if (value === null || Array.isArray(value)) return true;
  if (typeof value === "object") {
    throw serializationError("Start of structure or map found where not expected.");
  }
  throw serializationError("Expected list or null");
}

function checkMapJson(value: unknown): value is Record<string, unknown> | null | undefined {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) throw serializationError("Start of list found where not expected");
  if (typeof value === "object") return true;
  throw serializationError("Expected map or null");
}

/**
 * Checks the JSON types of a raw attribute value (pass 1). Stops descending below
 * {@linkcode NESTING_DEPTH_MAX} + 1 levels, where pass 2 rejects the value anyway, so a hostile
 * document cannot exhaust the stack.
 *
 * @throws DynamoDBError SerializationException for a wrong JSON type.
 */
export function checkAttributeValueJson(raw: unknown, depth = 1): void {
  if (raw === null || raw === undefined || depth > NESTING_DEPTH_MAX + 1) return;
  if (Array.isArray(raw)) throw serializationError("Start of list found where not expected");
  if (typeof raw !== "object") throw serializationError("Expected null");

  for (const [type, member] of Object.entries(raw)) {
    if (member === null) continue;
    switch (type) {
      case "S":
      case "N":
        checkStringJson(member);
        break;
      case "B":
        checkBlobJson(member);
        break;
      case "BOOL":
      case "NULL":
        checkBooleanJson(member);
        break;
      case "SS":
      case "NS":
        if (checkListJson(member)) member?.forEach(checkStringJson);
        break;
      case "BS":
        if (checkListJson(member)) member?.forEach(checkBlobJson);
        break;
      case "L":
        if (checkListJson(member)) member?.forEach((e) => checkAttributeValueJson(e, depth + 1));
        break;
      case "M":
        if (checkMapJson(member)) checkAttributeMapJson(member, depth + 1);
        break;
    }
  }
}

function checkAttributeMapJson(
  map: Record<string, unknown> | null | undefined,
  depth: number,
): void {
  if (map === null || map === undefined) return;
  for (const value of Object.values(map)) checkAttributeValueJson(value, depth);
}

/**
 * Checks the JSON types of a raw item or key: a JSON object of attribute values (pass 1).
 *
 * @throws DynamoDBError SerializationException for a wrong JSON type.
 */
export function checkItemJson(raw: unknown): void {
  if (checkMapJson(raw)) checkAttributeMapJson(raw, 1);
}

// ---------------------------------------------------------------------------------------------
// Pass 2: values (ValidationException)

/** Resolved options plus the error factory they imply. */
interface Checker {
  style: NumberMessageStyle;
  fail(message: string): Error;
}

function checkerFor(options: ValueValidationOptions): Checker {
  const style = options.style ?? "current";
  const prefix = options.envelope === true ? ENVELOPE : "";
  return { style, fail: (message) => validationError(prefix + message) };
}

/**
 * Validates a raw attribute value (both passes) and returns it with numbers in canonical form.
 *
 * @throws DynamoDBError SerializationException for a wrong JSON type, ValidationException for an
 * invalid value, worded as `options` selects.
 */
export function validateAttributeValue(
  raw: unknown,
  options: ValueValidationOptions = {},
): AttributeValue {
  checkAttributeValueJson(raw);
  return validateValue(raw, 1, checkerFor(options));
}

/**
 * Validates a raw item (both passes): a JSON object of attribute names to values. Attribute names
 * must be non-empty and shorter than 64 KB. Key attributes are not checked here; see
 * {@linkcode validateItemKeyAttributes}.
 *
 * @throws DynamoDBError SerializationException or ValidationException, as
 * {@linkcode validateAttributeValue}.
 */
export function validateItem(raw: unknown, options: ValueValidationOptions = {}): Item {
  checkItemJson(raw);
  const checker = checkerFor(options);
  const item: Item = {};
  if (raw === null || raw === undefined) return item;

  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    // NOTE: no recorded source gives DynamoDB's message for an empty attribute name. This wording
    // borrows the phrase DynamoDB uses for an empty ExpressionAttributeNames value.
    if (name === "") throw checker.fail(`${INVALID}Empty attribute name`);
    checkNameLength(name, checker);
    setEntry(item, name, validateValue(value, 1, checker));
  }
  return item;
}

function checkNameLength(name: string, checker: Checker): void {
  // Most names are short; only measure UTF-8 when the UTF-16 length could exceed the limit.
  if (
    name.length * 3 > ATTRIBUTE_NAME_BYTES_MAX && utf8ByteLength(name) > ATTRIBUTE_NAME_BYTES_MAX
  ) {
    throw checker.fail(NAME_TOO_LARGE_MESSAGE);
  }
}

/**
 * Validates one value whose JSON types pass 1 has checked. The depth check comes first, so a value
 * that is both too deep and invalid further down reports the depth, as DynamoDB does.
 */
function validateValue(raw: unknown, depth: number, checker: Checker): AttributeValue {
  if (depth > NESTING_DEPTH_MAX) throw checker.fail(NESTING_MESSAGE);
  const members = raw === null || raw === undefined
    ? []
    : Object.entries(raw as Record<string, unknown>).filter(
      ([type, member]) => TYPE_KEYS.has(type) && member !== null,
    );
  if (members.length === 0) throw checker.fail(EMPTY_VALUE_MESSAGE);

  // Each member is validated before the count is checked, so `{"S": "a", "N": "x"}` reports the
  // number (dynalite's order, taken from DynamoDB).
  const values = members.map(([type, member]) => validateMember(type, member, depth, checker));
  if (values.length > 1) throw checker.fail(MULTIPLE_TYPES_MESSAGE);
  return values[0] as AttributeValue;
}

/** Validates the member `type` of a value; pass 1 has checked its JSON type. */
function validateMember(
  type: string,
  member: unknown,
  depth: number,
  checker: Checker,
): AttributeValue {
  switch (type) {
    case "S":
      return { S: member as string };
    case "N":
      return { N: checkedNumber(member as string, checker) };
    case "B":
      return { B: member as string };
    case "BOOL":
      return { BOOL: member as boolean };
    case "NULL":
      if (member !== true) {
        throw checker.fail(`${INVALID}Null attribute value types must have the value of true`);
      }
      return { NULL: true };
    case "SS":
      return { SS: validateStringSet(member as (string | null)[], checker) };
    case "NS":
      return { NS: validateNumberSet(member as (string | null)[], checker) };
    case "BS":
      return { BS: validateBinarySet(member as (string | null)[], checker) };
    case "M":
      return { M: validateMap(member as Record<string, unknown>, depth, checker) };
    case "L":
      return { L: (member as unknown[]).map((e) => validateValue(e, depth + 1, checker)) };
  }
  throw new TypeError(`unknown attribute type ${type}`);
}

/** Returns the canonical form of `text`, rethrowing a number error with the checker's wording. */
function checkedNumber(text: string, checker: Checker): string {
  try {
    return canonicalNumber(text, checker.style);
  } catch (error) {
    if (error instanceof DynamoDBError) throw checker.fail(error.message);
    throw error;
  }
}

function validateMap(
  raw: Record<string, unknown>,
  depth: number,
  checker: Checker,
): AttributeMap {
  const map: AttributeMap = {};
  for (const [name, value] of Object.entries(raw)) {
    checkNameLength(name, checker);
    setEntry(map, name, validateValue(value, depth + 1, checker));
  }
  return map;
}

/** Rejects a `null` member of a set. */
function rejectNullMember(members: (string | null)[], setName: string, checker: Checker): void {
  // NOTE: no recorded source gives DynamoDB's message for a null set member; this wording is
  // modelled on its other set messages.
  if (members.includes(null)) {
    throw checker.fail(`${INVALID}An ${setName} set may not contain null values`);
  }
}

function validateStringSet(members: (string | null)[], checker: Checker): string[] {
  if (members.length === 0) throw checker.fail(`${INVALID}An string set  may not be empty`);
  rejectNullMember(members, "string", checker);
  const strings = members as string[];

  const duplicateIndex = findDuplicateIndex(strings);
  if (duplicateIndex !== -1) {
    const listed = checker.style === "current"
      ? `[${currentDuplicateOrder(strings, duplicateIndex, compareUtf8).map(quote).join(", ")}]`
      : `[${strings.join(", ")}]`;
    throw checker.fail(`${INVALID}Input collection ${listed} contains duplicates.`);
  }
  return [...strings];
}

function validateBinarySet(members: (string | null)[], checker: Checker): string[] {
  if (members.length === 0) throw checker.fail(`${INVALID}Binary sets should not be empty`);
  rejectNullMember(members, "binary", checker);
  const binaries = members as string[];

  // Pass 1 accepted only canonical base64, so equal strings are exactly equal byte strings.
  const duplicateIndex = findDuplicateIndex(binaries);
  if (duplicateIndex !== -1) {
    const listed = checker.style === "current"
      ? `[${currentDuplicateOrder(binaries, duplicateIndex, compareBase64).map(quote).join(",")}]`
      : `[${binaries.join(", ")}]`;
    throw checker.fail(`${INVALID}Input collection ${listed}of type BS contains duplicates.`);
  }
  return [...binaries];
}

function validateNumberSet(members: (string | null)[], checker: Checker): string[] {
  if (members.length === 0) throw checker.fail(`${INVALID}An number set  may not be empty`);
  // A null member is not a number: DynamoDB's older layer reports it as an empty one.
  const numbers = members.map((member) => checkedNumber(member ?? "", checker));

  // Members are compared by value, so "1" and "1.0" are duplicates.
  if (findDuplicateIndex(numbers) !== -1) {
    throw checker.fail(
      checker.style === "current"
        ? `${INVALID}Input collection contains duplicates.`
        : "Input collection contains duplicates",
    );
  }
  return numbers;
}

/** Returns the index of the first member equal to an earlier one, or -1. */
function findDuplicateIndex(members: readonly string[]): number {
  const seen = new Set<string>();
  for (let index = 0; index < members.length; index++) {
    const member = members[index] as string;
    if (seen.has(member)) return index;
    seen.add(member);
  }
  return -1;
}

/**
 * Lists set members as DynamoDB's current layer does in its duplicate message: the members before
 * the first repeat in byte order, then the repeat, then the rest as sent. For `SS ["b","a","b"]`
 * that is `["a", "b", "b"]`.
 */
function currentDuplicateOrder(
  members: readonly string[],
  duplicateIndex: number,
  compare: (a: string, b: string) => number,
): string[] {
  const before = members.slice(0, duplicateIndex).sort(compare);
  return [...before, ...members.slice(duplicateIndex)];
}

/**
 * Quotes a member for the current layer's duplicate message.
 *
 * NOTE: the recorded messages contain only plain members. How DynamoDB escapes quotes or control
 * characters inside them is not known, so this uses JSON escaping.
 */
function quote(member: string): string {
  return JSON.stringify(member);
}

/** Compares strings by their UTF-8 bytes, which is code point order (DynamoDB's string order). */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.codePointAt(index) as number;
    const right = b.codePointAt(index) as number;
    if (left !== right) return left - right;
    if (left > 0xffff) index++;
  }
  return a.length - b.length;
}

function compareBase64(a: string, b: string): number {
  const left = atob(a);
  const right = atob(b);
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// Keys

/** Returns the key attributes of `item` named by `schema` (partition key first). */
export function extractKey(item: Item, schema: KeySchema): Item {
  const key: Item = {};
  for (const attribute of keyAttributes(schema)) {
    const value = ownValue(item, attribute.name);
    if (value !== undefined) setEntry(key, attribute.name, value);
  }
  return key;
}

/** Returns the value of an own attribute, so that `__proto__` never reads the prototype. */
function ownValue(item: Item, name: string): AttributeValue | undefined {
  return Object.hasOwn(item, name) ? item[name] : undefined;
}

function keyAttributes(schema: KeySchema): KeyAttribute[] {
  return schema.sortKey === undefined
    ? [schema.partitionKey]
    : [schema.partitionKey, schema.sortKey];
}

/**
 * Validates the `Key` of GetItem, DeleteItem, UpdateItem and BatchGetItem against a table's key
 * schema. `key` must already have passed {@linkcode validateItem}.
 *
 * Order, as DynamoDB checks: the attribute set and types (any difference, including an extra
 * attribute or a wrong type, is `The provided key element does not match the schema`), then per
 * key attribute an empty `S` or `B` value, then the key size limits.
 *
 * @throws DynamoDBError ValidationException.
 */
export function validateKey(key: Item, schema: KeySchema): void {
  const attributes = keyAttributes(schema);
  if (Object.keys(key).length !== attributes.length) throw validationError(KEY_SCHEMA_MESSAGE);
  for (const attribute of attributes) {
    const value = ownValue(key, attribute.name);
    if (value === undefined || !(attribute.type in value)) {
      throw validationError(KEY_SCHEMA_MESSAGE);
    }
  }

  for (const attribute of attributes) {
    checkKeyValue(
      attribute,
      ownValue(key, attribute.name) as AttributeValue,
      attribute === schema.sortKey,
    );
  }
}

/**
 * Validates the key attributes of a PutItem (or BatchWriteItem put) item against a table's key
 * schema, partition key first: presence, type, empty value, then size.
 *
 * @throws DynamoDBError ValidationException.
 */
export function validateItemKeyAttributes(item: Item, schema: KeySchema): void {
  for (const attribute of keyAttributes(schema)) {
    const value = ownValue(item, attribute.name);
    if (value === undefined) {
      throw validationError(`${INVALID}Missing the key ${attribute.name} in the item`);
    }
    if (!(attribute.type in value)) {
      const actual = Object.keys(value)[0];
      throw validationError(
        `${INVALID}Type mismatch for key ${attribute.name} expected: ${attribute.type} actual: ${actual}`,
      );
    }
    checkKeyValue(attribute, value, attribute === schema.sortKey);
  }
}

/** Rejects an empty `S` or `B` key value and a key value over its size limit. */
function checkKeyValue(attribute: KeyAttribute, value: AttributeValue, isSortKey: boolean): void {
  const empty = ("S" in value && value.S === "") || ("B" in value && value.B === "");
  if (empty) {
    const kind = "S" in value ? "string" : "binary";
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${kind} value. Key: ${attribute.name}`,
    );
  }

  // A number of at most 38 digits is at most 21 bytes, far below either limit.
  if ("N" in value) return;
  const sizeBytes = keyValueSizeBytes(value);
  if (!isSortKey && sizeBytes > PARTITION_KEY_SIZE_BYTES_MAX) {
    throw validationError(
      `${INVALID}Size of hashkey has exceeded the maximum size limit of2048 bytes`,
    );
  }
  if (isSortKey && sizeBytes > SORT_KEY_SIZE_BYTES_MAX) {
    throw validationError(
      `${INVALID}Aggregated size of all range keys has exceeded the size limit of 1024 bytes`,
    );
  }
}

/**
 * Returns the nesting depth of an item's deepest value: a scalar attribute is level 1, each `M` or
 * `L` around a value adds one. Used after updates, which can nest values deeper than either the
 * stored item or the written value alone.
 */
export function itemNestingDepth(item: Item): number {
  let deepest = 0;
  for (const value of Object.values(item)) deepest = Math.max(deepest, valueDepth(value, 1));
  return deepest;
}

function valueDepth(value: AttributeValue, depth: number): number {
  let deepest = depth;
  if ("M" in value) {
    for (const child of Object.values(value.M)) {
      deepest = Math.max(deepest, valueDepth(child, depth + 1));
    }
  } else if ("L" in value) {
    for (const child of value.L) deepest = Math.max(deepest, valueDepth(child, depth + 1));
  }
  return deepest;
}
