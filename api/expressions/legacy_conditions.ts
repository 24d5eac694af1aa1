/**
 * The legacy condition parameters — `Expected`, `QueryFilter`, `ScanFilter` (each with
 * `ConditionalOperator`) and `KeyConditions` — checked with DynamoDB's messages and converted
 * into the {@linkcode Condition} and {@linkcode KeyConditionResult} the expression parameters
 * produce, so one evaluator serves both.
 *
 * Each map entry is one condition on a top-level attribute, written as a `ComparisonOperator`
 * with an `AttributeValueList`. `Expected` also accepts the older `Value` / `Exists` form. The
 * operators mean what their expression counterparts mean, except that NOT_CONTAINS is false for
 * a missing attribute (observed on DynamoDB by ScyllaDB's tests; CONTAINS is false there too).
 * Messages and check order follow dynalite, which was tested against DynamoDB.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import { constraintError, validationError } from "../errors.ts";
import type { ComparisonOperator, Condition, Operand } from "./ast.ts";
import {
  type AttributeCondition,
  type KeyConditionResult,
  type KeySchema,
  matchKeySchema,
} from "./key_condition.ts";
import { compareOrdered } from "./value_compare.ts";

/** One legacy condition on an attribute: `QueryFilter`, `ScanFilter` or `KeyConditions` entry. */
export interface LegacyCondition {
  ComparisonOperator?: string;
  AttributeValueList?: AttributeValue[];
}

/** One entry of `Expected`: a legacy condition, or the older `Value` / `Exists` form. */
export interface ExpectedAttributeValue extends LegacyCondition {
  Value?: AttributeValue;
  Exists?: boolean;
}

/** The ComparisonOperator values, in the order DynamoDB lists them in constraint messages. */
const COMPARISON_OPERATORS = [
  "IN",
  "NULL",
  "BETWEEN",
  "LT",
  "NOT_CONTAINS",
  "EQ",
  "GT",
  "NOT_NULL",
  "NE",
  "LE",
  "BEGINS_WITH",
  "GE",
  "CONTAINS",
] as const;

type LegacyOperator = typeof COMPARISON_OPERATORS[number];

/** Number of values each operator takes: exact, or at least one for IN. */
const VALUE_COUNTS: Readonly<Record<LegacyOperator, number | "one or more">> = {
  NULL: 0,
  NOT_NULL: 0,
  EQ: 1,
  NE: 1,
  LE: 1,
  LT: 1,
  GE: 1,
  GT: 1,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  BEGINS_WITH: 1,
  IN: "one or more",
  BETWEEN: 2,
};

/** Value types each operator accepts. */
const VALUE_TYPES: Readonly<Record<LegacyOperator, readonly string[]>> = {
  NULL: [],
  NOT_NULL: [],
  EQ: ["S", "N", "B", "SS", "NS", "BS"],
  NE: ["S", "N", "B", "SS", "NS", "BS"],
  LE: ["S", "N", "B"],
  LT: ["S", "N", "B"],
  GE: ["S", "N", "B"],
  GT: ["S", "N", "B"],
  CONTAINS: ["S", "N", "B"],
  NOT_CONTAINS: ["S", "N", "B"],
  BEGINS_WITH: ["S", "B"],
  IN: ["S", "N", "B"],
  BETWEEN: ["S", "N", "B"],
};

const COMPARISONS: Readonly<Partial<Record<LegacyOperator, ComparisonOperator>>> = {
  EQ: "=",
  NE: "<>",
  LE: "<=",
  LT: "<",
  GE: ">=",
  GT: ">",
};

const INVALID = "One or more parameter values were invalid: ";

/**
 * Converts `Expected` and `ConditionalOperator` into a condition, or `undefined` when `Expected`
 * has no entries.
 *
 * @throws DynamoDBError ValidationException with DynamoDB's message for an invalid entry, for
 * example `One or more parameter values were invalid: Value must be provided when Exists is true
 * for Attribute: a`.
 */
export function convertExpected(
  expected: Record<string, ExpectedAttributeValue> | undefined,
  conditionalOperator: string | undefined,
): Condition | undefined {
  checkConditionalOperator(conditionalOperator, expected);
  if (expected === undefined) return undefined;
  const conditions = Object.entries(expected).map(([name, entry]) =>
    expectedCondition(name, entry)
  );
  return combine(conditions, conditionalOperator);
}

/**
 * Converts `QueryFilter` or `ScanFilter` and `ConditionalOperator` into a condition, or
 * `undefined` when the filter has no entries.
 *
 * @param parameter The parameter name, used in constraint messages.
 * @throws DynamoDBError ValidationException with DynamoDB's message for an invalid entry.
 */
export function convertFilter(
  filter: Record<string, LegacyCondition> | undefined,
  conditionalOperator: string | undefined,
  parameter: "QueryFilter" | "ScanFilter",
): Condition | undefined {
  checkConditionalOperator(conditionalOperator, filter);
  if (filter === undefined) return undefined;
  const conditions = Object.entries(filter).map(([name, entry]) => {
    const operator = checkOperatorName(entry.ComparisonOperator, parameter, name);
    const values = entry.AttributeValueList ?? [];
    checkValues(operator, values);
    return operatorCondition(name, operator, values);
  });
  return combine(conditions, conditionalOperator);
}

/**
 * Converts `KeyConditions` into the Query's key conditions, with the checks DynamoDB applies.
 *
 * @throws DynamoDBError ValidationException, for example `Query condition missed key schema
 * element: pk` or `Attempted conditional constraint is not an indexable operation`.
 */
export function convertKeyConditions(
  keyConditions: Record<string, LegacyCondition>,
  keySchema: KeySchema,
): KeyConditionResult {
  const conditions = new Map<string, AttributeCondition>();
  for (const [name, entry] of Object.entries(keyConditions)) {
    const operator = checkOperatorName(entry.ComparisonOperator, "KeyConditions", name);
    const values = entry.AttributeValueList ?? [];
    checkValues(operator, values);
    conditions.set(name, keyCondition(operator, values));
  }
  if (conditions.size !== 1 && conditions.size !== 2) {
    throw validationError("Conditions can be of length 1 or 2 only");
  }
  return matchKeySchema(conditions, keySchema);
}

const KEY_OPERATORS: Readonly<Partial<Record<LegacyOperator, AttributeCondition["operator"]>>> = {
  EQ: "=",
  LE: "<=",
  LT: "<",
  GE: ">=",
  GT: ">",
  BEGINS_WITH: "begins_with",
  BETWEEN: "BETWEEN",
};

function keyCondition(operator: LegacyOperator, values: AttributeValue[]): AttributeCondition {
  const keyOperator = KEY_OPERATORS[operator];
  // NULL, NOT_NULL, NE, CONTAINS, NOT_CONTAINS and IN cannot select a key range.
  if (keyOperator === undefined) return { operator: "=", values, indexable: false };
  return { operator: keyOperator, values };
}

/**
 * ConditionalOperator must be AND or OR, and combines two or more conditions. The two messages
 * are those of DynamoDB Local's error table and of Amazon's DAX client.
 */
function checkConditionalOperator(
  conditionalOperator: string | undefined,
  conditions: Record<string, unknown> | undefined,
): void {
  if (conditionalOperator === undefined) return;
  if (conditionalOperator !== "AND" && conditionalOperator !== "OR") {
    throw constraintError(
      conditionalOperator,
      "conditionalOperator",
      "Member must satisfy enum value set: [OR, AND]",
    );
  }
  if (conditions === undefined) {
    throw validationError("ConditionalOperator cannot be used without Filter or Expected");
  }
  if (Object.keys(conditions).length <= 1) {
    throw validationError(
      "ConditionalOperator can only be used when Filter or Expected has two or more elements",
    );
  }
}

function checkOperatorName(
  operator: string | undefined,
  parameter: string,
  attribute: string,
): LegacyOperator {
  const location = `${parameter[0]?.toLowerCase()}${parameter.slice(1)}.${attribute}.member` +
    ".comparisonOperator";
  if (operator === undefined) {
    throw validationError(
      `1 validation error detected: Value null at '${location}' failed to satisfy constraint: ` +
        "Member must not be null",
    );
  }
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(operator)) {
    throw constraintError(
      operator,
      location,
      `Member must satisfy enum value set: [${COMPARISON_OPERATORS.join(", ")}]`,
    );
  }
  return operator as LegacyOperator;
}

/** Checks the value count, types and BETWEEN order of one legacy condition. */
function checkValues(operator: LegacyOperator, values: readonly AttributeValue[]): void {
  const expected = VALUE_COUNTS[operator];
  const countValid = expected === "one or more" ? values.length >= 1 : values.length === expected;
  if (!countValid) {
    throw validationError(
      `${INVALID}Invalid number of argument(s) for the ${operator} ComparisonOperator`,
    );
  }
  const first = values[0];
  if (first === undefined) return;
  if (values.some((value) => typeOf(value) !== typeOf(first))) {
    throw validationError(
      `${INVALID}AttributeValues inside AttributeValueList must be of same type`,
    );
  }
  for (const value of values) {
    if (!VALUE_TYPES[operator].includes(typeOf(value))) {
      throw validationError(
        `${INVALID}ComparisonOperator ${operator} is not valid for ${
          typeOf(value)
        } AttributeValue ` +
          "type",
      );
    }
  }
  const order = operator === "BETWEEN" ? compareOrdered(first, values[1] as AttributeValue) : 0;
  if (order !== undefined && order > 0) {
    throw validationError(
      "The BETWEEN condition was provided a range where the lower bound is greater than the " +
        "upper bound",
    );
  }
}

/**
 * Checks one `Expected` entry and converts it. After the operator name, the checks run in
 * DynamoDB Local's order: Exists with ComparisonOperator, Value with AttributeValueList,
 * AttributeValueList without ComparisonOperator, Value with Exists false, then a missing Value.
 */
function expectedCondition(name: string, entry: ExpectedAttributeValue): Condition {
  const forAttribute = ` for Attribute: ${name}`;
  const operator = entry.ComparisonOperator === undefined
    ? undefined
    : checkOperatorName(entry.ComparisonOperator, "Expected", name);
  const hasList = entry.AttributeValueList !== undefined;
  const hasValue = entry.Value !== undefined;
  let problem: string | undefined;
  if (entry.Exists !== undefined && operator !== undefined) {
    problem = "Exists and ComparisonOperator cannot be used together";
  } else if (hasValue && hasList) {
    problem = "Value and AttributeValueList cannot be used together";
  } else if (operator === undefined && hasList) {
    problem = "AttributeValueList can only be used with a ComparisonOperator";
  } else if (entry.Exists === false && hasValue) {
    problem = "Value cannot be used when Exists is false";
  } else if (!hasValue && !hasList) {
    if (operator !== undefined && operator !== "NULL" && operator !== "NOT_NULL") {
      problem = `Value or AttributeValueList must be used with ComparisonOperator: ${operator}`;
    } else if (operator === undefined && entry.Exists !== false) {
      problem = `Value must be provided when Exists is ${entry.Exists ?? "null"}`;
    }
  }
  if (problem !== undefined) throw validationError(`${INVALID}${problem}${forAttribute}`);

  if (operator !== undefined) {
    const values = entry.AttributeValueList ?? (hasValue ? [entry.Value as AttributeValue] : []);
    checkValues(operator, values);
    return operatorCondition(name, operator, values);
  }
  if (entry.Exists === false) return { kind: "attribute_not_exists", path: [name] };
  return operatorCondition(name, "EQ", [entry.Value as AttributeValue]);
}

/** Builds the condition of one checked legacy operator on the top-level attribute `name`. */
function operatorCondition(
  name: string,
  operator: LegacyOperator,
  values: readonly AttributeValue[],
): Condition {
  const attribute: Operand = { kind: "path", path: [name] };
  const constants: Operand[] = values.map((value) => ({ kind: "value", value }));
  const [first, second] = constants as [Operand, Operand];
  const comparison = COMPARISONS[operator];
  if (comparison !== undefined) {
    return { kind: "comparison", operator: comparison, left: attribute, right: first };
  }
  switch (operator) {
    case "NULL":
      return { kind: "attribute_not_exists", path: [name] };
    case "NOT_NULL":
      return { kind: "attribute_exists", path: [name] };
    case "CONTAINS":
      return { kind: "contains", operand: attribute, element: first };
    case "NOT_CONTAINS":
      return {
        kind: "and",
        left: { kind: "attribute_exists", path: [name] },
        right: { kind: "not", condition: { kind: "contains", operand: attribute, element: first } },
      };
    case "BEGINS_WITH":
      return { kind: "begins_with", operand: attribute, prefix: first };
    case "IN":
      return { kind: "in", operand: attribute, candidates: constants };
    default:
      return { kind: "between", operand: attribute, lower: first, upper: second };
  }
}

/** Joins conditions with AND (the default) or OR; `undefined` for none. */
function combine(
  conditions: readonly Condition[],
  conditionalOperator: string | undefined,
): Condition | undefined {
  const kind = conditionalOperator === "OR" ? "or" : "and";
  let combined: Condition | undefined;
  for (const condition of conditions) {
    combined = combined === undefined ? condition : { kind, left: combined, right: condition };
  }
  return combined;
}
