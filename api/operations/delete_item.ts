/**
 * DeleteItem: evaluate the condition against the current item under the key lock, then delete.
 *
 * @module
 */

import { conditionalCheckFailed } from "../errors.ts";
import { evaluateCondition } from "../expressions/mod.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { ATTRIBUTE_MAP_SHAPE, type OperationContext } from "./context.ts";
import {
  itemCollectionMetrics,
  renderConsumedCapacity,
  validateKeyInput,
  wantsOldItemOnFailure,
  writeUsage,
} from "./item_common.ts";
import { allOldOrNone, CONDITIONAL_WRITE_MEMBERS, parseWriteCondition } from "./put_item.ts";
import { requireTable } from "./table_description.ts";

const MODEL: OperationModel = {
  ...CONDITIONAL_WRITE_MEMBERS,
  Key: { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } },
};

/** Handles DeleteItem. */
export async function deleteItem(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  const returnValues = allOldOrNone(input.ReturnValues);
  const condition = parseWriteCondition(input, "DeleteItem");
  const table = requireTable(context, input.TableName as string);
  const key = validateKeyInput(input.Key, table.keySchema, { style: "current", envelope: true });

  const failureReturnsItem = wantsOldItemOnFailure(input);
  const previous = await context.items.write(table, key, (current) => {
    if (condition !== undefined && !evaluateCondition(condition, current)) {
      throw conditionalCheckFailed(failureReturnsItem ? current : undefined);
    }
    return { item: current === undefined ? undefined : null, result: current };
  });

  const output: Record<string, unknown> = {};
  if (returnValues === "ALL_OLD" && previous !== undefined) output.Attributes = previous;
  const capacity = renderConsumedCapacity(
    table.name,
    () => writeUsage(table, previous, undefined),
    input.ReturnConsumedCapacity,
  );
  if (capacity) output.ConsumedCapacity = capacity;
  const metrics = itemCollectionMetrics(table, key, input);
  if (metrics) output.ItemCollectionMetrics = metrics;
  return output;
}
