/**
 * Renders catalog entries as DynamoDB's `TableDescription`, and looks tables up with DynamoDB's
 * not-found errors.
 *
 * @module
 */

import type {
  IndexDefinition,
  KeySchema,
  ProvisionedThroughput,
  TableDefinition,
} from "../../cluster/catalog.ts";
import type { TableStatistics } from "../../cluster/item_store.ts";
import { resourceNotFound } from "../errors.ts";
import type { OperationContext } from "./context.ts";

/** Account id and region that appear in ARNs. Strata has no accounts, so these are fixed. */
const ARN_PREFIX = "arn:aws:dynamodb:us-east-1:000000000000:table/";

/** Returns the ARN of a table. */
export function tableArn(tableName: string): string {
  return ARN_PREFIX + tableName;
}

/**
 * Returns the table for a data-plane request, or throws `ResourceNotFoundException` with the
 * short message DynamoDB uses for item operations.
 */
export function requireTable(context: OperationContext, name: string): TableDefinition {
  const table = context.catalog.get(resolveTableName(name));
  if (table === undefined || table.status === "DELETING") throw resourceNotFound();
  return table;
}

/** Accepts a table ARN where a table name is expected, as DynamoDB does. */
export function resolveTableName(nameOrArn: string): string {
  return nameOrArn.startsWith(ARN_PREFIX) ? nameOrArn.slice(ARN_PREFIX.length) : nameOrArn;
}

/** Renders `KeySchema` in DynamoDB's element-list form. */
export function renderKeySchema(schema: KeySchema): Array<Record<string, string>> {
  const elements = [{ AttributeName: schema.partitionKey.name, KeyType: "HASH" }];
  if (schema.sortKey) elements.push({ AttributeName: schema.sortKey.name, KeyType: "RANGE" });
  return elements;
}

function renderThroughput(
  throughput: ProvisionedThroughput | undefined,
): Record<string, unknown> {
  const rendered: Record<string, unknown> = {
    NumberOfDecreasesToday: throughput?.decreasesToday ?? 0,
    ReadCapacityUnits: throughput?.readCapacityUnits ?? 0,
    WriteCapacityUnits: throughput?.writeCapacityUnits ?? 0,
  };
  if (throughput?.lastIncreaseMs !== undefined) {
    rendered.LastIncreaseDateTime = throughput.lastIncreaseMs / 1000;
  }
  if (throughput?.lastDecreaseMs !== undefined) {
    rendered.LastDecreaseDateTime = throughput.lastDecreaseMs / 1000;
  }
  return rendered;
}

function renderProjection(index: IndexDefinition): Record<string, unknown> {
  const projection: Record<string, unknown> = { ProjectionType: index.projection.type };
  if (index.projection.nonKeyAttributes) {
    projection.NonKeyAttributes = index.projection.nonKeyAttributes;
  }
  return projection;
}

function renderIndex(
  table: TableDefinition,
  index: IndexDefinition,
  statistics: TableStatistics,
): Record<string, unknown> {
  const rendered: Record<string, unknown> = {
    IndexName: index.name,
    KeySchema: renderKeySchema(index.keySchema),
    Projection: renderProjection(index),
    IndexSizeBytes: statistics.sizeBytes,
    ItemCount: statistics.itemCount,
    IndexArn: `${tableArn(table.name)}/index/${index.name}`,
  };
  if (index.kind === "global") {
    rendered.IndexStatus = index.backfilling ? "CREATING" : "ACTIVE";
    if (index.backfilling) rendered.Backfilling = true;
    rendered.ProvisionedThroughput = renderThroughput(index.provisioned);
  }
  return rendered;
}

/** Renders the `TableDescription` DynamoDB returns from CreateTable, DescribeTable and others. */
export function describeTable(
  table: TableDefinition,
  statisticsOf: (keySpaceId: number) => TableStatistics,
): Record<string, unknown> {
  const statistics = statisticsOf(table.tableId);
  const description: Record<string, unknown> = {
    AttributeDefinitions: table.attributeDefinitions.map((definition) => ({
      AttributeName: definition.name,
      AttributeType: definition.type,
    })),
    TableName: table.name,
    KeySchema: renderKeySchema(table.keySchema),
    TableStatus: table.status,
    CreationDateTime: table.createdAtMs / 1000,
    ProvisionedThroughput: renderThroughput(table.provisioned),
    TableSizeBytes: statistics.sizeBytes,
    ItemCount: statistics.itemCount,
    TableArn: tableArn(table.name),
    TableId: table.uuid,
    DeletionProtectionEnabled: table.deletionProtection,
  };
  if (table.billingMode === "PAY_PER_REQUEST") {
    description.BillingModeSummary = {
      BillingMode: "PAY_PER_REQUEST",
      LastUpdateToPayPerRequestDateTime: (table.payPerRequestSinceMs ?? table.createdAtMs) / 1000,
    };
  }
  if (table.localIndexes.length > 0) {
    description.LocalSecondaryIndexes = table.localIndexes.map((index) =>
      renderIndex(table, index, statisticsOf(index.indexId))
    );
  }
  if (table.globalIndexes.length > 0) {
    description.GlobalSecondaryIndexes = table.globalIndexes.map((index) =>
      renderIndex(table, index, statisticsOf(index.indexId))
    );
  }
  if (table.streamSpecification?.StreamEnabled) {
    description.StreamSpecification = table.streamSpecification;
  }
  if (table.tableClass !== "STANDARD") {
    description.TableClassSummary = { TableClass: table.tableClass };
  }
  return description;
}
