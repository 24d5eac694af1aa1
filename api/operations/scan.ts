/**
 * Scan: every item of a table or index in token order, one page per call, optionally one segment
 * of a parallel scan.
 *
 * Segment `s` of `TotalSegments = n` covers tokens `[s * 2^64 / n, (s + 1) * 2^64 / n)`, so the
 * segments partition the table and each is a union of contiguous storage ranges.
 *
 * @module
 */

import { TOKEN_SPACE } from "../../cluster/key_layout.ts";
import { validationError } from "../errors.ts";
import { type Condition, type DocumentPath } from "../expressions/mod.ts";
import { checkExpressionParameters } from "../expressions/legacy.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  EXPRESSION_VALUES_SHAPE,
  INDEX_NAME_SHAPE,
  type JsonText,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import { ATTRIBUTES_TO_GET_SHAPE } from "./get_item.ts";
import { CONDITIONAL_OPERATOR_SHAPE } from "./put_item.ts";
import { findIndex, LIMIT_SHAPE, SELECT_SHAPE, startKeyBytes } from "./query.ts";
import { expressionAttributes } from "./item_common.ts";
import { parseFilterAndProjection, readPage, resolveSelect } from "./read_page.ts";
import { requireTable } from "./table_description.ts";

/** Maximum `TotalSegments`. */
const TOTAL_SEGMENTS_MAX = 1_000_000;

const MODEL: OperationModel = {
  TableName: TABLE_NAME_SHAPE,
  IndexName: INDEX_NAME_SHAPE,
  AttributesToGet: ATTRIBUTES_TO_GET_SHAPE,
  Limit: LIMIT_SHAPE,
  Select: SELECT_SHAPE,
  ScanFilter: { type: "Map", value: { type: "Object" } },
  ConditionalOperator: CONDITIONAL_OPERATOR_SHAPE,
  ExclusiveStartKey: ATTRIBUTE_MAP_SHAPE,
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
  TotalSegments: {
    type: "Integer",
    constraints: { minValue: 1, maxValue: TOTAL_SEGMENTS_MAX },
  },
  Segment: { type: "Integer", constraints: { minValue: 0, maxValue: TOTAL_SEGMENTS_MAX - 1 } },
  ProjectionExpression: { type: "String" },
  FilterExpression: { type: "String" },
  ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
  ExpressionAttributeValues: EXPRESSION_VALUES_SHAPE,
  ConsistentRead: { type: "Boolean" },
};

/** Handles Scan. */
export async function scan(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown> | JsonText> {
  const input = checkRequestShape(rawInput, MODEL);
  const [startToken, endToken] = segmentTokens(
    input.Segment as number | undefined,
    input.TotalSegments as number | undefined,
  );
  const { filter, projection } = parseScanExpressions(input);
  const table = requireTable(context, input.TableName as string);
  const index = findIndex(table, input.IndexName as string | undefined);
  const consistent = input.ConsistentRead === true;
  if (consistent && index?.kind === "global") {
    throw validationError("Consistent reads are not supported on global secondary indexes");
  }
  const select = resolveSelect(input.Select as string | undefined, !!projection, index);
  const startKey = input.ExclusiveStartKey === undefined
    ? undefined
    : startKeyBytes(table, index, input.ExclusiveStartKey);

  const snapshot = context.items.snapshot();
  try {
    const entries = context.items.scanTokens(
      index?.indexId ?? table.tableId,
      startToken,
      endToken,
      snapshot,
      startKey,
    );
    return await readPage(entries, {
      table,
      index,
      limit: input.Limit as number | undefined,
      filter,
      projection,
      select,
      consistent,
      returnConsumedCapacity: input.ReturnConsumedCapacity,
      fetchTableItem: index?.kind === "local" && select === "ALL_ATTRIBUTES"
        ? (entry) => context.items.get(table, entry, snapshot)
        : undefined,
    });
  } finally {
    snapshot.release();
  }
}

/** Returns the token range `[start, end)` of a parallel-scan segment, or the whole ring. */
export function segmentTokens(
  segment: number | undefined,
  totalSegments: number | undefined,
): [bigint, bigint] {
  if (segment !== undefined && totalSegments === undefined) {
    throw validationError(
      "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
    );
  }
  if (totalSegments !== undefined && segment === undefined) {
    throw validationError(
      "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
    );
  }
  if (segment === undefined || totalSegments === undefined) return [0n, TOKEN_SPACE];
  if (segment >= totalSegments) {
    throw validationError(
      `The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${totalSegments}`,
    );
  }
  const total = BigInt(totalSegments);
  const start = (BigInt(segment) * TOKEN_SPACE) / total;
  const end = (BigInt(segment + 1) * TOKEN_SPACE) / total;
  return [start, end];
}

function parseScanExpressions(
  input: Record<string, unknown>,
): { filter?: Condition; projection?: DocumentPath[] } {
  checkExpressionParameters(input, "Scan");
  const attributes = expressionAttributes(input);
  const parsed = parseFilterAndProjection(input, attributes, "ScanFilter");
  attributes.assertAllUsed();
  return parsed;
}
