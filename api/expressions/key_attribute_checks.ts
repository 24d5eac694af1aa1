/**
 * Checks of how a Query's filter and projection use key attributes, with DynamoDB's messages (as
 * dynalite, tested against DynamoDB, reproduces them):
 *
 * - a FilterExpression or QueryFilter may not read a key attribute of the table or index being
 *   queried, because the key condition already decides it;
 * - a key attribute is a scalar, so a path that indexes into it or names a member of it
 *   (`pk.x`, `pk[0]`) is rejected.
 *
 * dynalite runs them in this order within a Query: projection paths for nested key attributes,
 * then filter attributes for key attributes, then filter paths for nested key attributes.
 *
 * @module
 */

import { validationError } from "../errors.ts";
import type { Condition, Operand } from "./ast.ts";
import type { DocumentPath } from "./document_path.ts";

/** Returns every document path `condition` reads, in written order. */
export function conditionPaths(condition: Condition): DocumentPath[] {
  const paths: DocumentPath[] = [];
  collectConditionPaths(condition, paths);
  return paths;
}

function collectConditionPaths(condition: Condition, paths: DocumentPath[]): void {
  switch (condition.kind) {
    case "and":
    case "or":
      collectConditionPaths(condition.left, paths);
      collectConditionPaths(condition.right, paths);
      return;
    case "not":
      collectConditionPaths(condition.condition, paths);
      return;
    case "attribute_exists":
    case "attribute_not_exists":
      paths.push(condition.path);
      return;
    case "comparison":
      return collectOperandPaths([condition.left, condition.right], paths);
    case "between":
      return collectOperandPaths([condition.operand, condition.lower, condition.upper], paths);
    case "in":
      return collectOperandPaths([condition.operand, ...condition.candidates], paths);
    case "attribute_type":
      return collectOperandPaths([condition.operand, condition.type], paths);
    case "begins_with":
      return collectOperandPaths([condition.operand, condition.prefix], paths);
    case "contains":
      return collectOperandPaths([condition.operand, condition.element], paths);
  }
}

function collectOperandPaths(operands: readonly Operand[], paths: DocumentPath[]): void {
  for (const operand of operands) {
    if (operand.kind === "path") paths.push(operand.path);
    if (operand.kind === "size") collectOperandPaths([operand.operand], paths);
  }
}

/**
 * Rejects a Query filter that reads a key attribute. Key attributes are checked in the order
 * given (partition key first).
 *
 * @param parameter `Filter Expression` for FilterExpression, `QueryFilter` for the legacy filter.
 * @throws DynamoDBError ValidationException `Filter Expression can only contain non-primary key
 * attributes: Primary key attribute: <a>`.
 */
export function assertFilterAvoidsKeyAttributes(
  filter: Condition,
  keyAttributeNames: readonly string[],
  parameter: "Filter Expression" | "QueryFilter",
): void {
  const heads = new Set(conditionPaths(filter).map((path) => path[0]));
  for (const name of keyAttributeNames) {
    if (heads.has(name)) {
      throw validationError(
        `${parameter} can only contain non-primary key attributes: Primary key attribute: ${name}`,
      );
    }
  }
}

/**
 * Rejects paths that look inside a key attribute. Table key attributes are checked before index
 * key attributes, each in the order given.
 *
 * @throws DynamoDBError ValidationException `Key attributes must be scalars; list random access
 * '[]' and map lookup '.' are not allowed: Key: <a>` (`IndexKey: <a>` for an index key).
 */
export function assertKeyAttributesScalar(
  paths: readonly DocumentPath[],
  keyAttributeNames: readonly string[],
  indexKeyAttributeNames: readonly string[] = [],
): void {
  const nestedHeads = new Set(paths.filter((path) => path.length > 1).map((path) => path[0]));
  const prefix = "Key attributes must be scalars; list random access '[]' and map lookup '.' are " +
    "not allowed: ";
  for (const name of keyAttributeNames) {
    if (nestedHeads.has(name)) throw validationError(`${prefix}Key: ${name}`);
  }
  for (const name of indexKeyAttributeNames) {
    if (nestedHeads.has(name)) throw validationError(`${prefix}IndexKey: ${name}`);
  }
}
