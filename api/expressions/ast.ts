/**
 * The parsed forms of conditions and update expressions that the parsers return and the evaluator
 * and update code consume.
 *
 * Parsed forms are self-contained: `#name` placeholders are already replaced by attribute names
 * and `:value` placeholders by their values, so evaluating one needs only the item. They are
 * immutable once built, so one parsed expression may be evaluated against many items (a Scan
 * filter) or kept in a Raft log entry.
 *
 * @module
 */

import type { AttributeValue } from "../attribute_value.ts";
import type { DocumentPath } from "./document_path.ts";

/** An operand of a condition: an item attribute, a constant, or the size of either. */
export type Operand =
  | { readonly kind: "path"; readonly path: DocumentPath }
  | { readonly kind: "value"; readonly value: AttributeValue }
  | { readonly kind: "size"; readonly operand: Operand };

/** The comparison operators of conditions. */
export type ComparisonOperator = "=" | "<>" | "<" | "<=" | ">" | ">=";

/** A condition (ConditionExpression, FilterExpression, or a legacy `Expected` / filter map). */
export type Condition =
  | {
    readonly kind: "comparison";
    readonly operator: ComparisonOperator;
    readonly left: Operand;
    readonly right: Operand;
  }
  | {
    readonly kind: "between";
    readonly operand: Operand;
    readonly lower: Operand;
    readonly upper: Operand;
  }
  | { readonly kind: "in"; readonly operand: Operand; readonly candidates: readonly Operand[] }
  | { readonly kind: "and" | "or"; readonly left: Condition; readonly right: Condition }
  | { readonly kind: "not"; readonly condition: Condition }
  | { readonly kind: "attribute_exists" | "attribute_not_exists"; readonly path: DocumentPath }
  | { readonly kind: "attribute_type"; readonly operand: Operand; readonly type: Operand }
  | { readonly kind: "begins_with"; readonly operand: Operand; readonly prefix: Operand }
  | { readonly kind: "contains"; readonly operand: Operand; readonly element: Operand };

/** An operand of a `SET` action's right-hand side. */
export type UpdateOperand =
  | { readonly kind: "path"; readonly path: DocumentPath }
  | { readonly kind: "value"; readonly value: AttributeValue }
  | {
    readonly kind: "if_not_exists";
    readonly path: DocumentPath;
    readonly fallback: UpdateOperand;
  }
  | {
    readonly kind: "list_append";
    readonly first: UpdateOperand;
    readonly second: UpdateOperand;
  };

/** The right-hand side of a `SET` action: one operand, or the sum or difference of two. */
export type SetValue =
  | { readonly kind: "operand"; readonly operand: UpdateOperand }
  | {
    readonly kind: "plus" | "minus";
    readonly left: UpdateOperand;
    readonly right: UpdateOperand;
  };

/**
 * One action of an update. `legacy` marks actions converted from `AttributeUpdates`, whose ADD
 * also appends lists and whose type errors use the legacy message.
 */
export type UpdateAction =
  | { readonly kind: "set"; readonly path: DocumentPath; readonly value: SetValue }
  | { readonly kind: "remove"; readonly path: DocumentPath }
  | {
    readonly kind: "add" | "delete";
    readonly path: DocumentPath;
    readonly value: AttributeValue;
    readonly legacy?: boolean;
  };

/** A parsed UpdateExpression (or converted `AttributeUpdates`): its actions in written order. */
export interface UpdateExpression {
  readonly actions: readonly UpdateAction[];
}
