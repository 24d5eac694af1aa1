/**
 * Applies a parsed {@linkcode UpdateExpression} to an item, with DynamoDB's semantics:
 *
 * - every action reads the item as it was before the update (`SET a = :v, b = a` copies the old
 *   `a`), and list indexes refer to positions before the update;
 * - `SET` of a list index past the end appends, and several appends go in index order. `REMOVE`
 *   of list elements shifts the later ones down, after all the other actions are applied;
 * - `ADD` adds to a number or unions into a set, creating the attribute when missing; `DELETE`
 *   subtracts from a set and removes the attribute when the set becomes empty;
 * - writing below a map key or list index that does not exist, or below a value of the wrong type,
 *   fails with `The document path provided in the update expression is invalid for update`.
 *
 * Called on the request path when an UpdateItem is applied (on every replica, in log order), so
 * the result depends only on its inputs. The input item is never modified.
 *
 * @module
 */

import type { AttributeValue, Item } from "../attribute_value.ts";
import { validationError } from "../errors.ts";
import { addNumbers, compareNumbers, subtractNumbers } from "../number.ts";
import type { SetValue, UpdateAction, UpdateExpression, UpdateOperand } from "./ast.ts";
import {
  childOf,
  type DocumentPath,
  type PathElement,
  readPath,
  setEntry,
} from "./document_path.ts";
import { assertKeyAttributesUnchanged } from "./update_parser.ts";
import { compareBinaries } from "./value_compare.ts";

const INVALID_PATH_MESSAGE = "The document path provided in the update expression is invalid for " +
  "update";
const INCORRECT_TYPE_MESSAGE = "An operand in the update expression has an incorrect data type";
const MISSING_ATTRIBUTE_MESSAGE = "The provided expression refers to an attribute that does not " +
  "exist in the item";
const LEGACY_TYPE_MISMATCH_MESSAGE = "Type mismatch for attribute to update";

/** Options of {@linkcode applyUpdate}. */
export interface ApplyUpdateOptions {
  /**
   * Whether the item existed before this update (default `true`). When it did not, DynamoDB
   * ignores a REMOVE whose parent path is missing instead of failing, while SET, ADD and DELETE
   * still fail.
   */
  readonly itemExists?: boolean;
}

/** The result of {@linkcode applyUpdate}. */
export interface AppliedUpdate {
  /** The updated item; a new object, sharing no mutable state with the input. */
  readonly item: Item;
  /**
   * The paths the actions wrote or removed, as written, for ReturnValues UPDATED_OLD and
   * UPDATED_NEW. DynamoDB selects these same paths from the old and the new item, so an element
   * appended by `SET a[100]` is not in UPDATED_NEW, and after `REMOVE a[1]` UPDATED_NEW shows
   * the element that moved into position 1 (observed by ScyllaDB's tests).
   */
  readonly updatedPaths: DocumentPath[];
}

/**
 * Returns whether applying `update` to an item that does not exist creates it. DynamoDB does not
 * create an item for an update whose only actions are REMOVEs, as ScyllaDB's tests observed. An
 * update without actions (empty `AttributeUpdates`) creates the item with just its key.
 *
 * NOTE: whether a DELETE of set elements from an absent item creates it is not recorded anywhere
 * we found; this assumes it does, like SET and ADD.
 */
export function updateCreatesItem(update: UpdateExpression): boolean {
  return update.actions.length === 0 || update.actions.some((action) => action.kind !== "remove");
}

/** One computed change, ready to write into the copy of the item. */
type Change =
  | { readonly kind: "write"; readonly path: DocumentPath; readonly value: AttributeValue }
  | { readonly kind: "remove"; readonly path: DocumentPath };

/**
 * Applies an update to a copy of `item` (which contains at least the key attributes). Returns the
 * new item and the paths changed, for ReturnValues UPDATED_OLD/UPDATED_NEW.
 *
 * @throws DynamoDBError ValidationException for an update of a key attribute (`Cannot update
 * attribute <a>. This attribute is part of the key`), a missing attribute read by SET, an operand
 * of the wrong type, an invalid document path, or a number result out of range.
 */
export function applyUpdate(
  item: Item,
  update: UpdateExpression,
  keyAttributeNames: string[],
  options: ApplyUpdateOptions = {},
): AppliedUpdate {
  assertKeyAttributesUnchanged(update, keyAttributeNames);
  const changes: Change[] = [];
  for (const action of update.actions) {
    const change = computeChange(action, item);
    if (change !== undefined) changes.push(change);
  }
  const result = structuredClone(item);
  const updatedPaths = writeChanges(result, changes, options.itemExists ?? true);
  return { item: result, updatedPaths };
}

/** Computes what one action does, reading only the original item. */
function computeChange(action: UpdateAction, item: Item): Change | undefined {
  switch (action.kind) {
    case "set":
      return { kind: "write", path: action.path, value: evaluateSetValue(action.value, item) };
    case "remove":
      return { kind: "remove", path: action.path };
    case "add": {
      const existing = readPath(item, action.path);
      const value = existing === undefined
        ? action.value
        : addValues(existing, action.value, action.legacy === true);
      return { kind: "write", path: action.path, value };
    }
    case "delete": {
      const existing = readPath(item, action.path);
      if (existing === undefined) return undefined;
      const remaining = subtractSet(existing, action.value, action.legacy === true);
      return remaining === undefined
        ? { kind: "remove", path: action.path }
        : { kind: "write", path: action.path, value: remaining };
    }
  }
}

function evaluateSetValue(value: SetValue, item: Item): AttributeValue {
  if (value.kind === "operand") return evaluateOperand(value.operand, item);
  const left = evaluateOperand(value.left, item);
  const right = evaluateOperand(value.right, item);
  if (!("N" in left) || !("N" in right)) throw validationError(INCORRECT_TYPE_MESSAGE);
  return {
    N: value.kind === "plus" ? addNumbers(left.N, right.N) : subtractNumbers(left.N, right.N),
  };
}

function evaluateOperand(operand: UpdateOperand, item: Item): AttributeValue {
  switch (operand.kind) {
    case "value":
      return operand.value;
    case "path": {
      const value = readPath(item, operand.path);
      if (value === undefined) throw validationError(MISSING_ATTRIBUTE_MESSAGE);
      return value;
    }
    case "if_not_exists":
      return readPath(item, operand.path) ?? evaluateOperand(operand.fallback, item);
    case "list_append": {
      const first = evaluateOperand(operand.first, item);
      const second = evaluateOperand(operand.second, item);
      if (!("L" in first) || !("L" in second)) throw validationError(INCORRECT_TYPE_MESSAGE);
      return { L: [...first.L, ...second.L] };
    }
  }
}

/** ADD of `addition` to an existing value: number sum or set union (legacy ADD also lists). */
function addValues(
  existing: AttributeValue,
  addition: AttributeValue,
  legacy: boolean,
): AttributeValue {
  const mismatch = legacy ? LEGACY_TYPE_MISMATCH_MESSAGE : INCORRECT_TYPE_MESSAGE;
  if ("N" in addition) {
    if (!("N" in existing)) throw validationError(mismatch);
    return { N: addNumbers(existing.N, addition.N) };
  }
  if ("L" in addition && legacy) {
    if (!("L" in existing)) throw validationError(mismatch);
    return { L: [...existing.L, ...addition.L] };
  }
  const type = setType(addition);
  const elements = setElements(existing, type);
  if (type === undefined || elements === undefined) throw validationError(mismatch);
  const added = setElements(addition, type) as string[];
  const union = [...elements];
  for (const element of added) {
    if (!union.some((present) => sameSetElement(type, present, element))) union.push(element);
  }
  return { [type]: union } as AttributeValue;
}

/**
 * DELETE of `removal` from an existing set. Returns the remaining set, or `undefined` when no
 * element remains and the attribute is to be removed.
 */
function subtractSet(
  existing: AttributeValue,
  removal: AttributeValue,
  legacy: boolean,
): AttributeValue | undefined {
  const type = setType(removal);
  const elements = setElements(existing, type);
  if (type === undefined || elements === undefined) {
    throw validationError(legacy ? LEGACY_TYPE_MISMATCH_MESSAGE : INCORRECT_TYPE_MESSAGE);
  }
  const removed = setElements(removal, type) as string[];
  const remaining = elements.filter((element) =>
    !removed.some((other) => sameSetElement(type, element, other))
  );
  return remaining.length === 0 ? undefined : { [type]: remaining } as AttributeValue;
}

type SetType = "SS" | "NS" | "BS";

function setType(value: AttributeValue): SetType | undefined {
  if ("SS" in value) return "SS";
  if ("NS" in value) return "NS";
  if ("BS" in value) return "BS";
  return undefined;
}

function setElements(value: AttributeValue, type: SetType | undefined): string[] | undefined {
  if (type === undefined || !(type in value)) return undefined;
  return (value as Record<SetType, string[]>)[type];
}

function sameSetElement(type: SetType, a: string, b: string): boolean {
  if (type === "NS") return compareNumbers(a, b) === 0;
  if (type === "BS") return compareBinaries(a, b) === 0;
  return a === b;
}

/** Map entries (a record) or list elements (an array) that hold the last step of a path. */
type Container = Record<string, AttributeValue> | AttributeValue[];

/** Changes to lists, collected so that they apply after the other writes. */
interface ListChanges {
  /** Elements to remove; they are removed from the highest index down. */
  readonly removals: { list: AttributeValue[]; index: number }[];
  /** Writes past the end of a list; they are appended in index order. */
  readonly appends: { list: AttributeValue[]; index: number; change: Change }[];
}

/** Writes `changes` into `item` (a private copy); returns the paths changed. */
function writeChanges(item: Item, changes: readonly Change[], itemExists: boolean): DocumentPath[] {
  const updatedPaths: DocumentPath[] = [];
  const listChanges: ListChanges = { removals: [], appends: [] };
  for (const change of changes) {
    const container = parentContainer(item, change.path);
    if (container === undefined) {
      if (change.kind === "remove" && !itemExists) continue;
      throw validationError(INVALID_PATH_MESSAGE);
    }
    writeChange(container, change, listChanges);
    updatedPaths.push(change.path);
  }

  listChanges.appends.sort((a, b) => a.index - b.index);
  for (const { list, change } of listChanges.appends) {
    list.push((change as { value: AttributeValue }).value);
  }
  listChanges.removals.sort((a, b) => b.index - a.index);
  for (const { list, index } of listChanges.removals) list.splice(index, 1);
  return updatedPaths;
}

function lastStep(path: readonly PathElement[]): PathElement {
  return path[path.length - 1] as PathElement;
}

/** Applies one change to its container, or queues it in `listChanges`. */
function writeChange(container: Container, change: Change, listChanges: ListChanges): void {
  const step = lastStep(change.path);
  if (!Array.isArray(container)) {
    if (change.kind === "remove") delete container[step as string];
    else setEntry(container, step as string, change.value);
    return;
  }
  const index = step as number;
  if (change.kind === "remove") {
    // Removing an element past the end of a list does nothing.
    if (index < container.length) listChanges.removals.push({ list: container, index });
  } else if (index >= container.length) {
    listChanges.appends.push({ list: container, index, change });
  } else {
    container[index] = change.value;
  }
}

/**
 * Returns the container of the last step of `path`, or `undefined` when the path above it
 * is missing or the container has the wrong type for the step.
 */
function parentContainer(item: Item, path: readonly PathElement[]): Container | undefined {
  if (path.length === 1) return item;
  const head = path[0] as string;
  if (!Object.hasOwn(item, head)) return undefined;
  let current: AttributeValue | undefined = item[head];
  for (let index = 1; index < path.length - 1 && current !== undefined; index++) {
    current = childOf(current, path[index] as PathElement);
  }
  if (current === undefined) return undefined;
  if (typeof lastStep(path) === "number") return "L" in current ? current.L : undefined;
  return "M" in current ? current.M : undefined;
}
