/**
 * The operation table: DynamoDB operation name → handler.
 *
 * @module
 */

import type { OperationHandler } from "./context.ts";
import { batchGetItem } from "./batch_get_item.ts";
import { batchWriteItem } from "./batch_write_item.ts";
import { createTable } from "./create_table.ts";
import { deleteItem } from "./delete_item.ts";
import { deleteTable, describeTableOperation, listTables } from "./describe_table.ts";
import { getItem } from "./get_item.ts";
import { putItem } from "./put_item.ts";
import { query } from "./query.ts";
import { scan } from "./scan.ts";
import { updateItem } from "./update_item.ts";
import { updateTable } from "./update_table.ts";
import { describeEndpoints, describeLimits } from "./service_info.ts";
import { transactGetItems, transactWriteItems } from "./transactions.ts";
import { describeTimeToLive, updateTimeToLive } from "./time_to_live.ts";
import { listTagsOfResource, tagResource, untagResource } from "./tags.ts";

/** Every implemented operation. Names not listed get `UnknownOperationException`. */
export const OPERATIONS: Record<string, OperationHandler> = {
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  CreateTable: createTable,
  DeleteItem: deleteItem,
  DeleteTable: deleteTable,
  DescribeEndpoints: describeEndpoints,
  DescribeLimits: describeLimits,
  DescribeTable: describeTableOperation,
  DescribeTimeToLive: describeTimeToLive,
  GetItem: getItem,
  ListTables: listTables,
  ListTagsOfResource: listTagsOfResource,
  PutItem: putItem,
  Query: query,
  Scan: scan,
  TagResource: tagResource,
  TransactGetItems: transactGetItems,
  TransactWriteItems: transactWriteItems,
  UntagResource: untagResource,
  UpdateItem: updateItem,
  UpdateTable: updateTable,
  UpdateTimeToLive: updateTimeToLive,
};
