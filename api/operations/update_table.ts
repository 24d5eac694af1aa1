/**
 * UpdateTable: billing mode, provisioned throughput, deletion protection, stream settings, table
 * class and global secondary index changes (create with backfill, update throughput, delete).
 *
 * A new global index is filled in the background by rewriting every item under its key lock, so
 * writes that race with the backfill are indexed either by the write itself or by the backfill.
 * The index reports `CREATING` with `Backfilling: true` until that finishes.
 *
 * @module
 */

import type { IndexDefinition, KeyAttribute, TableDefinition } from "../../cluster/catalog.ts";
import { DynamoDBError, resourceInUse, resourceNotFound, validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import {
  INDEX_NAME_SHAPE,
  KEY_SCHEMA_SHAPE,
  type OperationContext,
  PROJECTION_SHAPE,
  PROVISIONED_THROUGHPUT_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import { buildIndex, rejectStreams, toProvisioned } from "./create_table.ts";
import { describeTable, resolveTableName } from "./table_description.ts";
import { backfillIndex } from "./index_backfill.ts";

const INVALID = "One or more parameter values were invalid: ";

const MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  AttributeDefinitions: {
    type: "List",
    member: {
      type: "Structure",
      members: {
        AttributeName: { type: "String", constraints: { notNull: true, minLength: 1 } },
        AttributeType: {
          type: "String",
          constraints: { notNull: true, enumValues: ["S", "N", "B"] },
        },
      },
    },
  },
  BillingMode: { type: "String", constraints: { enumValues: ["PROVISIONED", "PAY_PER_REQUEST"] } },
  ProvisionedThroughput: PROVISIONED_THROUGHPUT_SHAPE,
  GlobalSecondaryIndexUpdates: {
    type: "List",
    member: {
      type: "Structure",
      members: {
        Create: {
          type: "Structure",
          members: {
            IndexName: {
              ...INDEX_NAME_SHAPE,
              constraints: { ...INDEX_NAME_SHAPE.constraints, notNull: true },
            },
            KeySchema: KEY_SCHEMA_SHAPE,
            Projection: PROJECTION_SHAPE,
            ProvisionedThroughput: PROVISIONED_THROUGHPUT_SHAPE,
          },
        },
        Update: {
          type: "Structure",
          members: {
            IndexName: INDEX_NAME_SHAPE,
            ProvisionedThroughput: PROVISIONED_THROUGHPUT_SHAPE,
          },
        },
        Delete: { type: "Structure", members: { IndexName: INDEX_NAME_SHAPE } },
      },
    },
  },
  StreamSpecification: {
    type: "Structure",
    members: {
      StreamEnabled: { type: "Boolean", constraints: { notNull: true } },
      StreamViewType: { type: "String" },
    },
  },
  TableClass: {
    type: "String",
    constraints: { enumValues: ["STANDARD", "STANDARD_INFREQUENT_ACCESS"] },
  },
  DeletionProtectionEnabled: { type: "Boolean" },
  SSESpecification: { type: "Object" },
  ReplicaUpdates: { type: "List", member: { type: "Object" } },
};

type Throughput = { ReadCapacityUnits: number; WriteCapacityUnits: number };

interface IndexUpdate {
  Create?: {
    IndexName: string;
    KeySchema: Array<{ AttributeName: string; KeyType: string }>;
    Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
    ProvisionedThroughput?: Throughput;
  };
  Update?: { IndexName: string; ProvisionedThroughput: Throughput };
  Delete?: { IndexName: string };
}

/** Handles UpdateTable. */
export async function updateTable(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  if (input.ReplicaUpdates !== undefined) {
    throw validationError("ReplicaUpdates are not supported: Strata has no global tables");
  }
  const name = resolveTableName(input.TableName as string);
  const current = context.catalog.get(name);
  if (current === undefined) {
    throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
  }
  const updates = (input.GlobalSecondaryIndexUpdates as IndexUpdate[] | undefined) ?? [];
  const changesSomething = input.BillingMode !== undefined ||
    input.ProvisionedThroughput !== undefined || updates.length > 0 ||
    input.StreamSpecification !== undefined || input.TableClass !== undefined ||
    input.DeletionProtectionEnabled !== undefined || input.SSESpecification !== undefined;
  if (!changesSomething) {
    throw validationError(
      "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
    );
  }
  if (current.globalIndexes.some((index) => index.backfilling)) {
    throw resourceInUse(
      `Attempt to change a resource which is still in use: Table is being updated: ${name}`,
    );
  }

  const table: TableDefinition = structuredClone(current);
  const nowMs = Date.now();
  applyBillingChanges(table, input, nowMs);
  if (input.DeletionProtectionEnabled !== undefined) {
    table.deletionProtection = input.DeletionProtectionEnabled as boolean;
  }
  if (input.TableClass !== undefined) {
    table.tableClass = input.TableClass as TableDefinition["tableClass"];
  }
  rejectStreams(input.StreamSpecification);
  if (input.StreamSpecification !== undefined) {
    table.streamSpecification = input.StreamSpecification as TableDefinition["streamSpecification"];
  }
  const created = applyIndexUpdates(table, updates, input, context, nowMs);

  await context.catalog.put(table);
  for (const index of created) backfillIndex(context, table.name, index.name);
  context.logger.info("table.updated", { table: name, tableId: table.tableId });
  return { TableDescription: describeTable(table, (id) => context.items.statistics(id)) };
}

function applyBillingChanges(
  table: TableDefinition,
  input: Record<string, unknown>,
  nowMs: number,
): void {
  const billingMode = input.BillingMode as TableDefinition["billingMode"] | undefined;
  const throughput = input.ProvisionedThroughput as Throughput | undefined;
  const targetMode = billingMode ?? table.billingMode;
  if (targetMode === "PAY_PER_REQUEST" && throughput !== undefined) {
    throw validationError(
      INVALID +
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
  }
  if (billingMode === "PROVISIONED" && table.billingMode !== "PROVISIONED" && !throughput) {
    throw validationError(
      INVALID +
        "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
    );
  }
  if (billingMode === "PAY_PER_REQUEST" && table.billingMode !== "PAY_PER_REQUEST") {
    table.billingMode = "PAY_PER_REQUEST";
    table.payPerRequestSinceMs = nowMs;
    table.provisioned = undefined;
    for (const index of table.globalIndexes) index.provisioned = undefined;
  }
  if (throughput !== undefined) {
    const previous = table.provisioned;
    if (
      previous !== undefined && table.billingMode === "PROVISIONED" &&
      previous.readCapacityUnits === throughput.ReadCapacityUnits &&
      previous.writeCapacityUnits === throughput.WriteCapacityUnits && billingMode === undefined
    ) {
      throw validationError(
        `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${previous.readCapacityUnits}. Requested ReadCapacityUnits: ${throughput.ReadCapacityUnits}. Current WriteCapacityUnits provisioned for the table: ${previous.writeCapacityUnits}. Requested WriteCapacityUnits: ${throughput.WriteCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
      );
    }
    const next = toProvisioned(throughput);
    next.decreasesToday = previous?.decreasesToday ?? 0;
    next.lastIncreaseMs = previous?.lastIncreaseMs;
    next.lastDecreaseMs = previous?.lastDecreaseMs;
    if (previous !== undefined) {
      const increased = next.readCapacityUnits > previous.readCapacityUnits ||
        next.writeCapacityUnits > previous.writeCapacityUnits;
      const decreased = next.readCapacityUnits < previous.readCapacityUnits ||
        next.writeCapacityUnits < previous.writeCapacityUnits;
      if (increased) next.lastIncreaseMs = nowMs;
      if (decreased) {
        next.lastDecreaseMs = nowMs;
        next.decreasesToday++;
      }
    }
    table.provisioned = next;
    table.billingMode = "PROVISIONED";
    table.payPerRequestSinceMs = undefined;
  }
}

function applyIndexUpdates(
  table: TableDefinition,
  updates: IndexUpdate[],
  input: Record<string, unknown>,
  context: OperationContext,
  nowMs: number,
): IndexDefinition[] {
  const structural = updates.filter((update) => update.Create || update.Delete);
  if (structural.length > 1) {
    throw new DynamoDBError(
      "LimitExceededException",
      "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
    );
  }
  const created: IndexDefinition[] = [];
  const definitions = mergeDefinitions(table.attributeDefinitions, input);
  for (const update of updates) {
    const action = [update.Create, update.Update, update.Delete].filter(Boolean).length;
    if (action !== 1) {
      throw validationError(
        INVALID + "One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified",
      );
    }
    if (update.Create) {
      created.push(createIndex(table, update.Create, definitions, context, nowMs));
    } else if (update.Update) {
      const index = findIndex(table, update.Update.IndexName);
      if (table.billingMode === "PAY_PER_REQUEST") {
        throw validationError(
          INVALID +
            `ProvisionedThroughput should not be specified for index: ${index.name} when BillingMode is PAY_PER_REQUEST`,
        );
      }
      index.provisioned = toProvisioned(update.Update.ProvisionedThroughput);
    } else if (update.Delete) {
      const index = findIndex(table, update.Delete.IndexName);
      table.globalIndexes = table.globalIndexes.filter((other) => other !== index);
      context.purgeKeySpaces([index.indexId]);
    }
  }
  table.attributeDefinitions = definitions.filter((definition) =>
    isKeyAttribute(table, definition)
  );
  return created;
}

function createIndex(
  table: TableDefinition,
  create: NonNullable<IndexUpdate["Create"]>,
  definitions: KeyAttribute[],
  context: OperationContext,
  nowMs: number,
): IndexDefinition {
  if (table.globalIndexes.length >= 20) {
    throw validationError(INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20");
  }
  const names = new Set([...table.globalIndexes, ...table.localIndexes].map((index) => index.name));
  if (names.has(create.IndexName)) {
    throw validationError(
      INVALID + `Index with name: ${create.IndexName} already exists`,
    );
  }
  const index = buildIndex(create, "global", definitions, names);
  if (table.billingMode === "PROVISIONED") {
    if (create.ProvisionedThroughput === undefined) {
      throw validationError(
        INVALID + `ProvisionedThroughput must be specified for index: ${create.IndexName}`,
      );
    }
    index.provisioned = toProvisioned(create.ProvisionedThroughput);
  } else if (create.ProvisionedThroughput !== undefined) {
    throw validationError(
      INVALID +
        `ProvisionedThroughput should not be specified for index: ${create.IndexName} when BillingMode is PAY_PER_REQUEST`,
    );
  }
  index.indexId = context.catalog.allocateIds(1)[0]!;
  index.createdAtMs = nowMs;
  index.backfilling = true;
  table.globalIndexes.push(index);
  return index;
}

function findIndex(table: TableDefinition, name: string): IndexDefinition {
  const index = table.globalIndexes.find((candidate) => candidate.name === name);
  if (index === undefined) {
    throw resourceNotFound(`Requested resource not found: Index: ${name} not found`);
  }
  return index;
}

function mergeDefinitions(
  existing: KeyAttribute[],
  input: Record<string, unknown>,
): KeyAttribute[] {
  const merged = new Map(existing.map((definition) => [definition.name, definition]));
  const added = (input.AttributeDefinitions as
    | Array<{ AttributeName: string; AttributeType: KeyAttribute["type"] }>
    | undefined) ?? [];
  for (const definition of added) {
    const previous = merged.get(definition.AttributeName);
    if (previous !== undefined && previous.type !== definition.AttributeType) {
      throw validationError(
        INVALID +
          `Cannot change the type of attribute ${definition.AttributeName} from ${previous.type} to ${definition.AttributeType}`,
      );
    }
    merged.set(definition.AttributeName, {
      name: definition.AttributeName,
      type: definition.AttributeType,
    });
  }
  return [...merged.values()];
}

function isKeyAttribute(table: TableDefinition, definition: KeyAttribute): boolean {
  const schemas = [
    table.keySchema,
    ...table.localIndexes.map((index) => index.keySchema),
    ...table.globalIndexes.map((index) => index.keySchema),
  ];
  return schemas.some((schema) =>
    schema.partitionKey.name === definition.name || schema.sortKey?.name === definition.name
  );
}
