/**
 * KeyConditionExpression: parsed like a condition, then narrowed to what a Query can use. That is
 * `=` on the partition key, optionally AND one condition on the sort key (`=`, `<`, `<=`, `>`,
 * `>=`, BETWEEN or begins_with); everything else gets DynamoDB's message.
 *
 * The checks run in DynamoDB Local's order: condition parsing and semantic checks; then, for each
 * condition from left to right, its shape (no OR, NOT, IN, `<>`, other functions or size(); one
 * attribute, not nested; one condition per attribute) and its value types; then two conditions at
 * most; then the table's key schema.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import { validationError } from "../errors.ts";
import type { Condition, Operand } from "./ast.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { parseAndResolveCondition } from "./condition_parser.ts";

/** The key conditions of a Query. */
export interface KeyConditionResult {
  partitionKeyValue: AttributeValue;
  sortKeyCondition?: {
    operator: "=" | "<" | "<=" | ">" | ">=" | "BETWEEN" | "begins_with";
    values: AttributeValue[];
  };
}

/** One key attribute of a table or index: its name and scalar type. */
export interface KeyAttribute {
  name: string;
  type: "S" | "N" | "B";
}

/** A table's or index's key schema. */
export interface KeySchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

type KeyOperator = NonNullable<KeyConditionResult["sortKeyCondition"]>["operator"];

/** One attribute's condition, as DynamoDB's legacy `KeyConditions` would state it. */
export interface AttributeCondition {
  readonly operator: KeyOperator;
  readonly values: AttributeValue[];
  /**
   * `false` for a legacy operator that cannot select a key range (NULL, NOT_NULL, NE, CONTAINS,
   * NOT_CONTAINS, IN); `operator` is then meaningless.
   */
  readonly indexable?: false;
}

/** Value types each operator accepts, as DynamoDB checks for `KeyConditions`. */
const OPERATOR_VALUE_TYPES: Readonly<Record<KeyOperator, readonly string[]>> = {
  "=": ["S", "N", "B", "SS", "NS", "BS"],
  "<": ["S", "N", "B"],
  "<=": ["S", "N", "B"],
  ">": ["S", "N", "B"],
  ">=": ["S", "N", "B"],
  "BETWEEN": ["S", "N", "B"],
  "begins_with": ["S", "B"],
};

/** The legacy ComparisonOperator names used in DynamoDB's type messages. */
const LEGACY_OPERATOR_NAMES: Readonly<Record<KeyOperator, string>> = {
  "=": "EQ",
  "<": "LT",
  "<=": "LE",
  ">": "GT",
  ">=": "GE",
  "BETWEEN": "BETWEEN",
  "begins_with": "BEGINS_WITH",
};

/** The operator that keeps a comparison's meaning when its operands swap sides. */
const SWAPPED: Readonly<Record<string, KeyOperator>> = {
  "=": "=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};

/**
 * Parses a KeyConditionExpression against a table's (or index's) key schema.
 *
 * @throws DynamoDBError ValidationException with DynamoDB's message, for example
 * `Query condition missed key schema element: pk` or `Query key condition not supported`.
 */
export function parseKeyCondition(
  text: string,
  attributes: ExpressionAttributes,
  keySchema: KeySchema,
): KeyConditionResult {
  const kind = "KeyConditionExpression";
  const condition = parseAndResolveCondition(text, kind, attributes);
  const conditions = new Map<string, AttributeCondition>();
  const shapeError = collectKeyConditions(condition, conditions);
  if (shapeError !== undefined) throw validationError(shapeError);
  if (conditions.size !== 1 && conditions.size !== 2) {
    throw validationError("Conditions can be of length 1 or 2 only");
  }
  return matchKeySchema(conditions, keySchema);
}

/**
 * Converts validated `KeyConditions`-style conditions into the Query's key conditions, applying
 * the key schema checks. Shared with the legacy `KeyConditions` parameter.
 *
 * @throws DynamoDBError ValidationException as {@linkcode parseKeyCondition} does.
 */
export function matchKeySchema(
  conditions: ReadonlyMap<string, AttributeCondition>,
  keySchema: KeySchema,
): KeyConditionResult {
  const { partitionKey, sortKey } = keySchema;
  if (sortKey === undefined && conditions.size > 1) {
    throw validationError("Query key condition not supported");
  }
  const partition = conditions.get(partitionKey.name);
  if (partition === undefined) {
    throw validationError(`Query condition missed key schema element: ${partitionKey.name}`);
  }
  checkIndexable(partition);
  checkSchemaType(partition, partitionKey);
  if (partition.operator !== "=") throw validationError("Query key condition not supported");

  const result: KeyConditionResult = { partitionKeyValue: partition.values[0] as AttributeValue };
  if (sortKey === undefined) return result;
  const sort = conditions.get(sortKey.name);
  if (sort === undefined) {
    if (conditions.size > 1) {
      throw validationError(`Query condition missed key schema element: ${sortKey.name}`);
    }
    return result;
  }
  checkIndexable(sort);
  checkSchemaType(sort, sortKey);
  result.sortKeyCondition = { operator: sort.operator, values: sort.values };
  return result;
}

function checkIndexable(condition: AttributeCondition): void {
  if (condition.indexable === false) {
    throw validationError("Attempted conditional constraint is not an indexable operation");
  }
}

function checkSchemaType(condition: AttributeCondition, key: KeyAttribute): void {
  if (condition.values.some((value) => typeOf(value) !== key.type)) {
    throw validationError(
      "One or more parameter values were invalid: Condition parameter type does not match " +
        "schema type",
    );
  }
}

function valueTypeError(
  operator: KeyOperator,
  values: readonly AttributeValue[],
): string | undefined {
  for (const value of values) {
    const type = typeOf(value);
    if (!OPERATOR_VALUE_TYPES[operator].includes(type)) {
      return `One or more parameter values were invalid: ComparisonOperator ` +
        `${LEGACY_OPERATOR_NAMES[operator]} is not valid for ${type} AttributeValue type`;
    }
  }
  return undefined;
}

/**
 * Walks the condition and records one {@linkcode AttributeCondition} per key attribute in
 * `conditions`. Returns the first shape error's message, or `undefined`.
 */
function collectKeyConditions(
  condition: Condition,
  conditions: Map<string, AttributeCondition>,
): string | undefined {
  switch (condition.kind) {
    case "and":
      return collectKeyConditions(condition.left, conditions) ??
        collectKeyConditions(condition.right, conditions);
    case "or":
    case "not":
    case "in":
      return `Invalid operator used in KeyConditionExpression: ${condition.kind.toUpperCase()}`;
    case "attribute_exists":
    case "attribute_not_exists":
    case "attribute_type":
    case "contains":
      return `Invalid operator used in KeyConditionExpression: ${condition.kind}`;
    case "comparison":
      if (condition.operator === "<>") {
        return "Invalid operator used in KeyConditionExpression: <>";
      }
      return recordCondition(condition.operator, [condition.left, condition.right], conditions);
    case "between":
      if (condition.operand.kind === "value") return keyFirstError("BETWEEN");
      return recordCondition(
        "BETWEEN",
        [condition.operand, condition.lower, condition.upper],
        conditions,
      );
    case "begins_with":
      if (condition.operand.kind === "value") return keyFirstError("begins_with");
      return recordCondition("begins_with", [condition.operand, condition.prefix], conditions);
    default:
      // A condition with no operator of its own never comes out of the parser.
      return "Invalid condition in KeyConditionExpression: No key attribute specified";
  }
}

function keyFirstError(operator: string): string {
  return `Invalid condition in KeyConditionExpression: ${operator} operator must have the key ` +
    "attribute as its first operand";
}

/** Records the condition of one comparison, BETWEEN or begins_with on its single attribute. */
function recordCondition(
  operator: KeyOperator,
  operands: readonly Operand[],
  conditions: Map<string, AttributeCondition>,
): string | undefined {
  let attribute: string | undefined;
  let attributeIndex = 0;
  const values: AttributeValue[] = [];
  for (const [index, operand] of operands.entries()) {
    if (operand.kind === "size") return "KeyConditionExpressions cannot contain nested operations";
    if (operand.kind === "value") {
      values.push(operand.value);
      continue;
    }
    if (attribute !== undefined) {
      return "Invalid condition in KeyConditionExpression: Multiple attribute names used in one " +
        "condition";
    }
    if (operand.path.length > 1) {
      return "KeyConditionExpressions cannot have conditions on nested attributes";
    }
    attribute = operand.path[0] as string;
    attributeIndex = index;
  }
  if (attribute === undefined) {
    return "Invalid condition in KeyConditionExpression: No key attribute specified";
  }
  if (conditions.has(attribute)) {
    return "KeyConditionExpressions must only contain one condition per key";
  }
  const effective = attributeIndex === 0 ? operator : SWAPPED[operator] as KeyOperator;
  conditions.set(attribute, { operator: effective, values });
  return valueTypeError(effective, values);
}
