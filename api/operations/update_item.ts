/**
 * UpdateItem: evaluate the condition and apply the update expression to the current item (or to
 * the key alone when the item is absent) under the key lock, then write the result.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import { conditionalCheckFailed } from "../errors.ts";
import {
  applyUpdate,
  assertKeyAttributesUnchanged,
  type Condition,
  type DocumentPath,
  evaluateCondition,
  parseUpdate,
  selectPaths,
  updateCreatesItem,
  type UpdateExpression,
} from "../expressions/mod.ts";
import { type AttributeValueUpdate, convertAttributeUpdates } from "../expressions/legacy.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { ATTRIBUTE_MAP_SHAPE, type OperationContext } from "./context.ts";
import {
  checkIndexKeyAttributes,
  checkUpdatedItem,
  itemCollectionMetrics,
  keyAttributeNames,
  renderConsumedCapacity,
  validateKeyInput,
  validateLegacyValues,
  wantsOldItemOnFailure,
  writeUsage,
} from "./item_common.ts";
import { CONDITIONAL_WRITE_MEMBERS, parseWriteCondition } from "./put_item.ts";
import { requireTable } from "./table_description.ts";

const MODEL: OperationModel = {
  ...CONDITIONAL_WRITE_MEMBERS,
  Key: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } },
  UpdateExpression: { type: "String" },
  AttributeUpdates: { type: "Map", value: { type: "Object" } },
};

interface UpdateOutcome {
  before: Item | undefined;
  /** The item after the update; undefined when the update wrote nothing. */
  after: Item | undefined;
  updatedPaths: DocumentPath[];
}

/** Handles UpdateItem. */
export async function updateItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  let update: UpdateExpression | undefined;
  const condition: Condition | undefined = parseWriteCondition(
    input,
    "UpdateItem",
    (attributes) => {
      if (typeof input.UpdateExpression === "string") {
        update = parseUpdate(input.UpdateExpression, attributes);
      }
    },
  );
  const table = requireTable(context, input.TableName as string);
  if (update !== undefined) {
    assertKeyAttributesUnchanged(update, keyAttributeNames(table.keySchema));
  }
  const key = validateKeyInput(input.Key, table.keySchema, { style: "current", envelope: true });
  if (update === undefined && input.AttributeUpdates !== undefined) {
    update = convertAttributeUpdates(
      validateLegacyValues(input.AttributeUpdates) as Record<string, AttributeValueUpdate>,
    );
  }

  const failureReturnsItem = wantsOldItemOnFailure(input);
  const outcome = await context.items.write<UpdateOutcome>(table, key, (current) => {
    if (condition !== undefined && !evaluateCondition(condition, current)) {
      throw conditionalCheckFailed(failureReturnsItem ? current : undefined);
    }
    if (current === undefined && update !== undefined && !updateCreatesItem(update)) {
      // An update that only removes attributes does not create a missing item.
      return { item: undefined, result: { before: undefined, after: undefined, updatedPaths: [] } };
    }
    const base = current ?? structuredClone(key);
    const applied = update === undefined
      ? { item: base, updatedPaths: [] as DocumentPath[] }
      : applyUpdate(base, update, keyAttributeNames(table.keySchema), {
        itemExists: current !== undefined,
      });
    checkUpdatedItem(applied.item);
    checkIndexKeyAttributes(table, applied.item);
    return {
      item: applied.item,
      result: { before: current, after: applied.item, updatedPaths: applied.updatedPaths },
    };
  });

  const output: Record<string, unknown> = {};
  const attributes = returnedAttributes(input.ReturnValues as string | undefined, outcome);
  if (attributes !== undefined && Object.keys(attributes).length > 0) {
    output.Attributes = attributes;
  }
  const capacity = renderConsumedCapacity(
    table.name,
    () => writeUsage(table, outcome.before, outcome.after),
    input.ReturnConsumedCapacity,
  );
  if (capacity) output.ConsumedCapacity = capacity;
  const metrics = itemCollectionMetrics(table, key, input);
  if (metrics) output.ItemCollectionMetrics = metrics;
  return output;
}

function returnedAttributes(
  returnValues: string | undefined,
  outcome: UpdateOutcome,
): Item | undefined {
  switch (returnValues ?? "NONE") {
    case "ALL_OLD":
      return outcome.before;
    case "ALL_NEW":
      return outcome.after;
    case "UPDATED_OLD":
      return outcome.before === undefined
        ? undefined
        : selectPaths(outcome.before, outcome.updatedPaths);
    case "UPDATED_NEW":
      return outcome.after === undefined
        ? undefined
        : selectPaths(outcome.after, outcome.updatedPaths);
    default:
      return undefined;
  }
}
