/**
 * CreateTable: validates the key schema, attribute definitions, billing mode and secondary
 * indexes with DynamoDB's messages, then records the table in the catalog.
 *
 * Tables become ACTIVE at once, as in DynamoDB Local, so a client may write right after the call
 * returns. DynamoDB itself reports CREATING first, which waiters and polling clients handle too.
 *
 * @module
 */

import type {
  IndexDefinition,
  KeyAttribute,
  KeyAttributeType,
  KeySchema,
  ProvisionedThroughput,
  TableDefinition,
} from "../../cluster/catalog.ts";
import { DynamoDBError, resourceInUse, validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import {
  INDEX_NAME_SHAPE,
  KEY_SCHEMA_SHAPE,
  type OperationContext,
  PROJECTION_SHAPE,
  PROVISIONED_THROUGHPUT_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import { describeTable, resolveTableName } from "./table_description.ts";

/** Maximum local secondary indexes per table. */
const MAX_LOCAL_INDEXES = 5;
/** Maximum global secondary indexes per table (DynamoDB's default quota). */
const MAX_GLOBAL_INDEXES = 20;
/** Largest provisioned capacity value DynamoDB accepts in a request. */
const MAX_CAPACITY_UNITS = 1_000_000_000_000;
/** Maximum tables per node (DynamoDB's default per-region quota). */
const MAX_TABLES = 2500;

const INDEX_MEMBERS = {
  IndexName: {
    ...INDEX_NAME_SHAPE,
    constraints: { ...INDEX_NAME_SHAPE.constraints, notNull: true },
  },
  KeySchema: KEY_SCHEMA_SHAPE,
  Projection: PROJECTION_SHAPE,
} as const;

const MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  AttributeDefinitions: {
    type: "List",
    constraints: { notNull: true },
    member: {
      type: "Structure",
      members: {
        AttributeName: {
          type: "String",
          constraints: { notNull: true, minLength: 1, maxLength: 255 },
        },
        AttributeType: {
          type: "String",
          constraints: { notNull: true, enumValues: ["S", "N", "B"] },
        },
      },
    },
  },
  KeySchema: KEY_SCHEMA_SHAPE,
  BillingMode: { type: "String", constraints: { enumValues: ["PROVISIONED", "PAY_PER_REQUEST"] } },
  ProvisionedThroughput: PROVISIONED_THROUGHPUT_SHAPE,
  LocalSecondaryIndexes: {
    type: "List",
    member: { type: "Structure", members: INDEX_MEMBERS },
  },
  GlobalSecondaryIndexes: {
    type: "List",
    member: {
      type: "Structure",
      members: { ...INDEX_MEMBERS, ProvisionedThroughput: PROVISIONED_THROUGHPUT_SHAPE },
    },
  },
  StreamSpecification: {
    type: "Structure",
    members: {
      StreamEnabled: { type: "Boolean", constraints: { notNull: true } },
      StreamViewType: {
        type: "String",
        constraints: { enumValues: ["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"] },
      },
    },
  },
  SSESpecification: { type: "Object" },
  Tags: {
    type: "List",
    member: {
      type: "Structure",
      members: {
        Key: { type: "String", constraints: { notNull: true, minLength: 1, maxLength: 128 } },
        Value: { type: "String", constraints: { notNull: true, maxLength: 256 } },
      },
    },
  },
  TableClass: {
    type: "String",
    constraints: { enumValues: ["STANDARD", "STANDARD_INFREQUENT_ACCESS"] },
  },
  DeletionProtectionEnabled: { type: "Boolean" },
};

interface RawKeyElement {
  AttributeName: string;
  KeyType: string;
}

interface RawIndex {
  IndexName: string;
  KeySchema: RawKeyElement[];
  Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
}

const INVALID = "One or more parameter values were invalid: ";

/** Handles CreateTable. */
export async function createTable(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, MODEL);
  const name = resolveTableName(input.TableName as string);
  const definitions = (input.AttributeDefinitions as Array<
    { AttributeName: string; AttributeType: KeyAttributeType }
  >).map((definition) => ({ name: definition.AttributeName, type: definition.AttributeType }));
  const billingMode = (input.BillingMode as TableDefinition["billingMode"]) ?? "PROVISIONED";
  const throughput = input.ProvisionedThroughput as RawIndex["ProvisionedThroughput"];

  checkBillingMode(billingMode, throughput);
  const keySchema = buildKeySchema(input.KeySchema as RawKeyElement[], definitions);
  const localIndexes = (input.LocalSecondaryIndexes as RawIndex[] | undefined) ?? undefined;
  const globalIndexes = (input.GlobalSecondaryIndexes as RawIndex[] | undefined) ?? undefined;
  if (localIndexes === undefined && globalIndexes === undefined) {
    if (keySchema.sortKey ? definitions.length !== 2 : definitions.length !== 1) {
      throw validationError(
        INVALID +
          "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
      );
    }
  }
  const indexes = buildIndexes(keySchema, definitions, billingMode, localIndexes, globalIndexes);
  checkDefinitionsUsed(definitions, keySchema, indexes);

  rejectStreams(input.StreamSpecification);
  if (context.catalog.get(name) !== undefined) {
    throw resourceInUse(`Table already exists: ${name}`);
  }
  if (context.catalog.size >= MAX_TABLES) {
    throw new DynamoDBError(
      "LimitExceededException",
      `Subscriber limit exceeded: Tables per region limit of ${MAX_TABLES} exceeded`,
    );
  }

  const ids = context.catalog.allocateIds(1 + indexes.length);
  const nowMs = Date.now();
  indexes.forEach((index, position) => {
    index.indexId = ids[position + 1]!;
    index.createdAtMs = nowMs;
  });
  const table: TableDefinition = {
    name,
    tableId: ids[0]!,
    uuid: crypto.randomUUID(),
    createdAtMs: nowMs,
    status: "ACTIVE",
    keySchema,
    attributeDefinitions: definitions,
    billingMode,
    provisioned: billingMode === "PROVISIONED" ? toProvisioned(throughput!) : undefined,
    payPerRequestSinceMs: billingMode === "PAY_PER_REQUEST" ? nowMs : undefined,
    localIndexes: indexes.filter((index) => index.kind === "local"),
    globalIndexes: indexes.filter((index) => index.kind === "global"),
    deletionProtection: (input.DeletionProtectionEnabled as boolean | undefined) ?? false,
    tableClass: (input.TableClass as TableDefinition["tableClass"]) ?? "STANDARD",
    streamSpecification: input.StreamSpecification as TableDefinition["streamSpecification"],
    tags: Object.fromEntries(
      ((input.Tags as Array<{ Key: string; Value: string }>) ?? []).map((tag) => [
        tag.Key,
        tag.Value,
      ]),
    ),
  };
  await context.catalog.put(table);
  context.logger.info("table.created", { table: name, tableId: table.tableId });

  const description = describeTable(table, (id) => context.items.statistics(id));
  return { TableDescription: description };
}

function checkBillingMode(
  billingMode: TableDefinition["billingMode"],
  throughput: RawIndex["ProvisionedThroughput"],
): void {
  if (billingMode === "PAY_PER_REQUEST") {
    if (throughput !== undefined) {
      throw validationError(
        INVALID +
          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
      );
    }
    return;
  }
  if (throughput === undefined) {
    throw validationError(
      INVALID +
        "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    );
  }
  for (const field of ["ReadCapacityUnits", "WriteCapacityUnits"] as const) {
    if (throughput[field] > MAX_CAPACITY_UNITS) {
      throw validationError(`Given value ${throughput[field]} for ${field} is out of bounds`);
    }
  }
}

/**
 * Rejects enabling DynamoDB Streams, which Strata does not implement: accepting the setting
 * would leave clients waiting for stream records that never come.
 */
export function rejectStreams(specification: unknown): void {
  const enabled = (specification as { StreamEnabled?: boolean } | undefined)?.StreamEnabled;
  if (enabled === true) {
    throw validationError(
      "StreamSpecification: DynamoDB Streams are not supported by this server; set StreamEnabled to false",
    );
  }
}

/** Converts request throughput into the catalog's form. */
export function toProvisioned(
  throughput: { ReadCapacityUnits: number; WriteCapacityUnits: number },
): ProvisionedThroughput {
  return {
    readCapacityUnits: throughput.ReadCapacityUnits,
    writeCapacityUnits: throughput.WriteCapacityUnits,
    decreasesToday: 0,
  };
}

/** Validates a key schema against the attribute definitions and returns it. */
function buildKeySchema(elements: RawKeyElement[], definitions: KeyAttribute[]): KeySchema {
  const names = elements.map((element) => element.AttributeName);
  const defined = definitions.map((definition) => definition.name);
  if (names.length > defined.length) {
    throw validationError("Invalid KeySchema: Some index key attribute have no definition");
  }
  if (names.some((name) => !defined.includes(name))) {
    throw validationError(
      INVALID +
        `Some index key attributes are not defined in AttributeDefinitions. Keys: [${
          names.join(", ")
        }], AttributeDefinitions: [${defined.join(", ")}]`,
    );
  }
  if (names.length === 2 && names[0] === names[1]) {
    throw validationError(
      "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    );
  }
  if (elements[0]!.KeyType !== "HASH") {
    throw validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (elements[1] !== undefined && elements[1].KeyType !== "RANGE") {
    throw validationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  const attribute = (name: string) => definitions.find((definition) => definition.name === name)!;
  const schema: KeySchema = { partitionKey: { ...attribute(names[0]!) } };
  if (names[1] !== undefined) schema.sortKey = { ...attribute(names[1]) };
  return schema;
}

function buildIndexes(
  tableSchema: KeySchema,
  definitions: KeyAttribute[],
  billingMode: TableDefinition["billingMode"],
  localIndexes: RawIndex[] | undefined,
  globalIndexes: RawIndex[] | undefined,
): IndexDefinition[] {
  const indexes: IndexDefinition[] = [];
  const names = new Set<string>();
  if (localIndexes !== undefined) {
    if (localIndexes.length === 0) {
      throw validationError(INVALID + "List of LocalSecondaryIndexes is empty");
    }
    if (tableSchema.sortKey === undefined) {
      throw validationError(
        INVALID +
          "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
      );
    }
    for (const raw of localIndexes) {
      const index = buildIndex(raw, "local", definitions, names);
      if (index.keySchema.sortKey === undefined) {
        throw validationError(
          INVALID + `Index KeySchema does not have a range key for index: ${raw.IndexName}`,
        );
      }
      const indexHash = index.keySchema.partitionKey.name;
      if (indexHash !== tableSchema.partitionKey.name) {
        throw validationError(
          INVALID +
            `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${raw.IndexName}. index hash key: ${indexHash}, table hash key: ${tableSchema.partitionKey.name}`,
        );
      }
      indexes.push(index);
    }
    if (localIndexes.length > MAX_LOCAL_INDEXES) {
      throw validationError(
        INVALID + `Number of LocalSecondaryIndexes exceeds per-table limit of ${MAX_LOCAL_INDEXES}`,
      );
    }
  }
  if (globalIndexes !== undefined) {
    if (globalIndexes.length === 0) {
      throw validationError(INVALID + "List of GlobalSecondaryIndexes is empty");
    }
    for (const raw of globalIndexes) {
      const index = buildIndex(raw, "global", definitions, names);
      if (billingMode === "PAY_PER_REQUEST" && raw.ProvisionedThroughput !== undefined) {
        throw validationError(
          INVALID +
            `ProvisionedThroughput should not be specified for index: ${raw.IndexName} when BillingMode is PAY_PER_REQUEST`,
        );
      }
      if (billingMode === "PROVISIONED") {
        if (raw.ProvisionedThroughput === undefined) {
          throw validationError(
            INVALID +
              `ProvisionedThroughput must be specified for index: ${raw.IndexName}`,
          );
        }
        index.provisioned = toProvisioned(raw.ProvisionedThroughput);
      }
      indexes.push(index);
    }
    if (globalIndexes.length > MAX_GLOBAL_INDEXES) {
      throw validationError(
        INVALID + `GlobalSecondaryIndex count exceeds the per-table limit of ${MAX_GLOBAL_INDEXES}`,
      );
    }
  }
  return indexes;
}

/** Validates one index definition; `indexId` and `createdAtMs` are filled in later. */
export function buildIndex(
  raw: RawIndex,
  kind: "local" | "global",
  definitions: KeyAttribute[],
  seenNames: Set<string>,
): IndexDefinition {
  const keySchema = buildKeySchema(raw.KeySchema, definitions);
  const projectionType = raw.Projection.ProjectionType;
  if (projectionType === undefined) {
    throw validationError(INVALID + "Unknown ProjectionType: null");
  }
  if (projectionType === "INCLUDE" && raw.Projection.NonKeyAttributes === undefined) {
    throw validationError(
      INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
    );
  }
  if (raw.Projection.NonKeyAttributes !== undefined && projectionType !== "INCLUDE") {
    throw validationError(
      INVALID + `ProjectionType is ${projectionType}, but NonKeyAttributes is specified`,
    );
  }
  if (seenNames.has(raw.IndexName)) {
    throw validationError(INVALID + `Duplicate index name: ${raw.IndexName}`);
  }
  seenNames.add(raw.IndexName);
  return {
    name: raw.IndexName,
    indexId: 0,
    kind,
    keySchema,
    projection: {
      type: projectionType as IndexDefinition["projection"]["type"],
      nonKeyAttributes: raw.Projection.NonKeyAttributes,
    },
    createdAtMs: 0,
  };
}

function checkDefinitionsUsed(
  definitions: KeyAttribute[],
  tableSchema: KeySchema,
  indexes: IndexDefinition[],
): void {
  const used = new Set<string>();
  for (const schema of [tableSchema, ...indexes.map((index) => index.keySchema)]) {
    used.add(schema.partitionKey.name);
    if (schema.sortKey) used.add(schema.sortKey.name);
  }
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (seen.has(definition.name)) {
      throw validationError(
        INVALID + "Duplicate AttributeName found in AttributeDefinitions: " + definition.name,
      );
    }
    seen.add(definition.name);
  }
  if (definitions.some((definition) => !used.has(definition.name))) {
    throw validationError(
      INVALID +
        "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
    );
  }
}
