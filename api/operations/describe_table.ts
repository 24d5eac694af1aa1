/**
 * DescribeTable, ListTables and DeleteTable.
 *
 * @module
 */

import { resourceInUse, resourceNotFound, validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import { type OperationContext, TABLE_NAME_SHAPE } from "./context.ts";
import { describeTable, resolveTableName } from "./table_description.ts";

const TABLE_ONLY_MODEL: OperationModel = { TableName: TABLE_NAME_SHAPE };

/** Handles DescribeTable. */
export function describeTableOperation(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, TABLE_ONLY_MODEL);
  const name = resolveTableName(input.TableName as string);
  const table = context.catalog.get(name);
  if (table === undefined) {
    throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
  }
  return Promise.resolve({
    Table: describeTable(table, (id) => context.items.statistics(id)),
  });
}

/** Default and maximum page size of ListTables. */
const LIST_TABLES_LIMIT_MAX = 100;

const LIST_TABLES_MODEL: OperationModel = {
  ExclusiveStartTableName: {
    type: "String",
    constraints: { minLength: 3, maxLength: 255, pattern: "[a-zA-Z0-9_.-]+" },
  },
  Limit: {
    type: "Integer",
    constraints: { minValue: 1, maxValue: LIST_TABLES_LIMIT_MAX },
  },
};

/** Handles ListTables: names in ascending order, paginated by name. */
export function listTables(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, LIST_TABLES_MODEL);
  const limit = (input.Limit as number | undefined) ?? LIST_TABLES_LIMIT_MAX;
  const startAfter = input.ExclusiveStartTableName as string | undefined;
  const names = context.catalog.names().filter((name) =>
    startAfter === undefined || name > startAfter
  );
  const page = names.slice(0, limit);
  const output: Record<string, unknown> = { TableNames: page };
  if (names.length > limit) output.LastEvaluatedTableName = page[page.length - 1];
  return Promise.resolve(output);
}

/** Handles DeleteTable: removes the table from the catalog and purges its data in the background. */
export async function deleteTable(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, TABLE_ONLY_MODEL);
  const name = resolveTableName(input.TableName as string);
  const table = context.catalog.get(name);
  if (table === undefined) {
    throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
  }
  if (table.status === "DELETING") {
    throw resourceInUse(
      `Attempt to change a resource which is still in use: Table is being deleted: ${name}`,
    );
  }
  if (table.deletionProtection) {
    throw validationError(
      `Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`,
    );
  }

  const description = describeTable(
    { ...table, status: "DELETING" },
    (id) => context.items.statistics(id),
  );
  const keySpaces = [
    table.tableId,
    ...table.localIndexes.map((index) => index.indexId),
    ...table.globalIndexes.map((index) => index.indexId),
  ];
  await context.catalog.remove(name, keySpaces);
  context.purgeKeySpaces(keySpaces);
  context.logger.info("table.deleted", { table: name, tableId: table.tableId });
  return { TableDescription: description };
}
