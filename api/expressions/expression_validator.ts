/**
 * The third pass every expression goes through (see `syntax_tree.ts`): resolving placeholders and
 * checking operands, in DynamoDB's order. DynamoDB visits the expression tree children first, so
 * the operands of an operator (and any error in them) come before the operator's own checks, and
 * operators are counted as they are checked. For each operator the checks run in this order:
 * operand count, operand types, the first operand repeated as a later operand, then the checks
 * special to the operator. The first error found is thrown.
 *
 * Only constants and function results have a type before evaluation. A document path may hold
 * anything, so the type checks reject constants (`:v` of type BOOL in `a < :v`) and function
 * results (`size(a)` in `begins_with`), never paths.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import type { DynamoDBError } from "../errors.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { type DocumentPath, formatPath, pathsEqual } from "./document_path.ts";
import { expressionError, type ExpressionKind } from "./expression_error.ts";
import { FUNCTION_OPERAND_COUNTS, operandCountMessage, operandTypeMessage } from "./functions.ts";
import type { RawPath, RawValue } from "./syntax_tree.ts";

/** Maximum number of operators and function calls in one expression. */
export const OPERATOR_COUNT_MAX = 300;
/** Maximum number of values right of one IN. */
export const IN_CANDIDATE_COUNT_MAX = 100;
/** Maximum number of steps in one document path (`a.b[0]` has three). */
export const PATH_DEPTH_MAX = 32;

/** Types `<`, `<=`, `>`, `>=` and BETWEEN accept. */
export const ORDERED_TYPES: ReadonlySet<string> = new Set(["N", "S", "B"]);
/** Types begins_with accepts. */
export const STRING_BINARY_TYPES: ReadonlySet<string> = new Set(["S", "B"]);
/** Types size() accepts. */
export const SIZED_TYPES: ReadonlySet<string> = new Set(["S", "B", "SS", "NS", "BS", "L", "M"]);

/** An operand after resolution, with what the operator checks need to know about it. */
export interface CheckedOperand<T> {
  readonly operand: T;
  /** The operand's type whatever the item holds, when that is known before evaluation. */
  readonly staticType?: string;
  /** Set when the operand is a document path. */
  readonly path?: DocumentPath;
}

/** A constant or a document path, the operands every expression kind shares. */
export type LeafOperand =
  | { readonly kind: "value"; readonly value: AttributeValue }
  | { readonly kind: "path"; readonly path: DocumentPath };

/** Resolves the placeholders of one expression and counts its operators. */
export class ExpressionValidator {
  readonly kind: ExpressionKind;
  readonly #attributes: ExpressionAttributes;
  #operatorCount = 0;

  constructor(kind: ExpressionKind, attributes: ExpressionAttributes) {
    this.kind = kind;
    this.#attributes = attributes;
  }

  /** Returns the ValidationException `Invalid <kind>: <detail>`. */
  error(detail: string): DynamoDBError {
    return expressionError(this.kind, detail);
  }

  /**
   * Resolves a written path: its depth first, then its `#name` placeholders from left to right.
   *
   * @throws DynamoDBError ValidationException `The document path has too many nesting levels;
   * nesting levels: <n>` or `An expression attribute name used in the document path is not
   * defined; attribute name: #x`.
   */
  path(raw: RawPath): DocumentPath {
    if (raw.steps.length > PATH_DEPTH_MAX) {
      throw this.error(
        `The document path has too many nesting levels; nesting levels: ${raw.steps.length}`,
      );
    }
    return raw.steps.map((step) => {
      if (step.kind === "identifier") return step.text;
      if (step.kind === "index") return Number(step.text);
      const name = this.#attributes.resolveName(step.text);
      if (name === undefined) {
        throw this.error(
          "An expression attribute name used in the document path is not defined; " +
            `attribute name: ${step.text}`,
        );
      }
      return name;
    });
  }

  /**
   * Resolves a `:value` placeholder.
   *
   * @throws DynamoDBError ValidationException `An expression attribute value used in expression
   * is not defined; attribute value: :x`.
   */
  value(placeholder: string): AttributeValue {
    const value = this.#attributes.resolveValue(placeholder);
    if (value === undefined) {
      throw this.error(
        `An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    }
    return value;
  }

  /** Resolves a `:value` placeholder or a path into a checked operand. */
  leaf(raw: RawValue | RawPath): CheckedOperand<LeafOperand> {
    if (raw.kind === "value") {
      const value = this.value(raw.placeholder);
      return { operand: { kind: "value", value }, staticType: typeOf(value) };
    }
    const path = this.path(raw);
    return { operand: { kind: "path", path }, path };
  }

  /**
   * Counts one operator or function call, after its checks.
   *
   * @throws DynamoDBError ValidationException `The expression contains too many operators;
   * operator count: 301`.
   */
  countOperator(): void {
    this.#operatorCount++;
    if (this.#operatorCount > OPERATOR_COUNT_MAX) {
      throw this.error(
        `The expression contains too many operators; operator count: ${this.#operatorCount}`,
      );
    }
  }

  /** Checks the operand count of a known function. */
  checkOperandCount(name: string, actual: number): void {
    if (actual !== FUNCTION_OPERAND_COUNTS.get(name)) {
      throw this.error(operandCountMessage(name, actual));
    }
  }

  /** Checks that each operand whose type is known has one of `allowed`, in operand order. */
  checkOperandTypes(
    operator: string,
    operands: readonly CheckedOperand<unknown>[],
    allowed: ReadonlySet<string>,
  ): void {
    for (const { staticType } of operands) {
      if (staticType !== undefined && !allowed.has(staticType)) {
        throw this.error(operandTypeMessage(operator, staticType));
      }
    }
  }

  /** DynamoDB rejects an operator whose first operand is a path repeated as a later operand. */
  checkDistinct(operator: string, operands: readonly CheckedOperand<unknown>[]): void {
    const first = operands[0]?.path;
    if (first === undefined) return;
    for (const later of operands.slice(1)) {
      if (later.path === undefined || !pathsEqual(first, later.path)) continue;
      throw this.error(
        "The first operand must be distinct from the remaining operands for this operator or " +
          `function; operator: ${operator}, first operand: ${formatPath(first)}`,
      );
    }
  }
}
