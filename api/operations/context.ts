/**
 * The context passed to every operation handler, and parameter models shared by operations.
 *
 * @module
 */

import type { Catalog } from "../../cluster/catalog.ts";
import type { ItemStore } from "../../cluster/item_store.ts";
import type { Logger } from "../../util/logger.ts";
import type { Shape } from "../request_shape.ts";

/** Per-request dependencies of an operation handler. */
export interface OperationContext {
  requestId: string;
  /** The `Host` header of the request, for responses that name this endpoint. */
  host: string;
  catalog: Catalog;
  items: ItemStore;
  logger: Logger;
  /** Starts removing a deleted table's items and index entries in the background. */
  purgeKeySpaces(keySpaceIds: number[]): void;
}

/** A response body that is already serialised JSON, sent as is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Handles one operation: JSON input in, JSON output out. Undefined output is sent as an empty
 * body (TagResource and UntagResource respond that way).
 */
export type OperationHandler = (
  input: Record<string, unknown>,
  context: OperationContext,
) => Promise<Record<string, unknown> | JsonText | undefined>;

/** `TableName`: 3 to 255 characters from `[a-zA-Z0-9_.-]`. */
export const TABLE_NAME_SHAPE: Shape = {
  type: "String",
  constraints: { notNull: true, tableName: true, pattern: "[a-zA-Z0-9_.-]+" },
};

/** `IndexName`: 3 to 255 characters from `[a-zA-Z0-9_.-]`. */
export const INDEX_NAME_SHAPE: Shape = {
  type: "String",
  constraints: { minLength: 3, maxLength: 255, pattern: "[a-zA-Z0-9_.-]+" },
};

/** `ReturnConsumedCapacity`. */
export const RETURN_CONSUMED_CAPACITY_SHAPE: Shape = {
  type: "String",
  constraints: { enumValues: ["INDEXES", "TOTAL", "NONE"] },
};

/** `ReturnItemCollectionMetrics`. */
export const RETURN_ITEM_COLLECTION_METRICS_SHAPE: Shape = {
  type: "String",
  constraints: { enumValues: ["SIZE", "NONE"] },
};

/** A map of attribute values, checked for content by `validation.ts`. */
export const ATTRIBUTE_MAP_SHAPE: Shape = { type: "Map", value: { type: "Object" } };

/** `ExpressionAttributeNames`. */
export const EXPRESSION_NAMES_SHAPE: Shape = { type: "Map", value: { type: "String" } };

/** `ExpressionAttributeValues`. */
export const EXPRESSION_VALUES_SHAPE: Shape = ATTRIBUTE_MAP_SHAPE;

/** A key schema element list. */
export const KEY_SCHEMA_SHAPE: Shape = {
  type: "List",
  constraints: { notNull: true, minLength: 1, maxLength: 2 },
  member: {
    type: "Structure",
    members: {
      AttributeName: {
        type: "String",
        constraints: { notNull: true, minLength: 1, maxLength: 255 },
      },
      KeyType: {
        type: "String",
        constraints: { notNull: true, enumValues: ["HASH", "RANGE"] },
      },
    },
  },
};

/** Provisioned throughput settings. */
export const PROVISIONED_THROUGHPUT_SHAPE: Shape = {
  type: "Structure",
  members: {
    ReadCapacityUnits: { type: "Long", constraints: { notNull: true, minValue: 1 } },
    WriteCapacityUnits: { type: "Long", constraints: { notNull: true, minValue: 1 } },
  },
};

/** An index projection. */
export const PROJECTION_SHAPE: Shape = {
  type: "Structure",
  constraints: { notNull: true },
  members: {
    ProjectionType: {
      type: "String",
      constraints: { enumValues: ["ALL", "KEYS_ONLY", "INCLUDE"] },
    },
    NonKeyAttributes: {
      type: "List",
      constraints: { minLength: 1, maxLength: 20 },
      member: { type: "String", constraints: { minLength: 1, maxLength: 255 } },
    },
  },
};
