/**
 * The page loop shared by Query and Scan: read items in order until `Limit` items or 1 MB have
 * been read, apply the filter, project, and build `LastEvaluatedKey` and consumed capacity.
 *
 * DynamoDB applies `Limit` and the 1 MB cap to items read, before the filter, so `ScannedCount`
 * can exceed `Count`. It does not look ahead: when a page ends because of `Limit` or size,
 * `LastEvaluatedKey` is returned even if no item follows.
 *
 * The output is built as JSON text. Without a filter, a projection or a table fetch, stored items
 * are copied into it as stored (their size comes from the stored header), so a page of plain reads
 * parses and re-serialises nothing but the last item's key.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import type { IndexDefinition, TableDefinition } from "../../cluster/catalog.ts";
import {
  type Condition,
  type DocumentPath,
  evaluateCondition,
  type ExpressionAttributes,
  parseCondition,
  parseProjection,
  projectItem,
} from "../expressions/mod.ts";
import {
  convertAttributesToGet,
  convertFilter,
  type LegacyCondition,
} from "../expressions/legacy.ts";
import { itemSizeBytes } from "../item_size.ts";
import { decodeItem, storedItemJson, storedItemSizeBytes } from "../../cluster/item_codec.ts";
import { validationError } from "../errors.ts";
import { keyOf, readUnits, renderConsumedCapacity, validateLegacyValues } from "./item_common.ts";
import { JsonText } from "./context.ts";

/** Maximum bytes of items read by one Query or Scan call (1 MB). */
export const PAGE_BYTES_MAX = 1024 * 1024;

/** Settings of one page read. */
export interface PageOptions {
  table: TableDefinition;
  index?: IndexDefinition;
  limit?: number;
  filter?: Condition;
  projection?: DocumentPath[];
  select: string;
  consistent: boolean;
  returnConsumedCapacity: unknown;
  /**
   * False when the read can return at most one item (a table Query on the full primary key):
   * DynamoDB then never returns `LastEvaluatedKey`, because such a query cannot be restarted.
   */
  restartable?: boolean;
  /** Fetches the full table item for an index entry (LSI reads of non-projected attributes). */
  fetchTableItem?: (entry: Item) => Promise<Item | undefined>;
}

/** Reads one page of stored entries from `source` and renders the Query/Scan output. */
export async function readPage(
  source: AsyncIterable<{ value: Uint8Array }>,
  options: PageOptions,
): Promise<JsonText> {
  // JSON text of each returned item.
  const items: string[] = [];
  let scannedCount = 0;
  let bytesRead = 0;
  let lastRead: Uint8Array | undefined;
  let matchedCount = 0;
  let stoppedEarly = false;
  const copiesStoredItems = options.filter === undefined && options.projection === undefined &&
    options.fetchTableItem === undefined;
  for await (const stored of source) {
    scannedCount++;
    lastRead = stored.value;
    if (copiesStoredItems) {
      bytesRead += storedItemSizeBytes(stored.value);
      matchedCount++;
      if (options.select !== "COUNT") items.push(storedItemJson(stored.value));
    } else {
      const entry = decodeItem(stored.value);
      let item = entry;
      if (options.fetchTableItem !== undefined) {
        item = (await options.fetchTableItem(entry)) ?? entry;
      }
      bytesRead += itemSizeBytes(item);
      if (options.filter === undefined || evaluateCondition(options.filter, item)) {
        matchedCount++;
        if (options.select !== "COUNT") {
          items.push(
            JSON.stringify(options.projection ? projectItem(item, options.projection) : item),
          );
        }
      }
    }
    if (
      (options.limit !== undefined && scannedCount >= options.limit) || bytesRead >= PAGE_BYTES_MAX
    ) {
      stoppedEarly = true;
      break;
    }
  }

  let text = options.select === "COUNT" ? "{" : `{"Items":[${items.join(",")}],`;
  text += `"Count":${matchedCount},"ScannedCount":${scannedCount}`;
  if (stoppedEarly && lastRead !== undefined && options.restartable !== false) {
    const lastKey = keyOf(options.table, decodeItem(lastRead), options.index);
    text += `,"LastEvaluatedKey":${JSON.stringify(lastKey)}`;
  }
  const units = readUnits(bytesRead, options.consistent);
  const capacity = renderConsumedCapacity(
    options.table.name,
    options.index === undefined ? { kind: "read", tableUnits: units } : {
      kind: "read",
      tableUnits: 0,
      [options.index.kind === "global" ? "globalSecondaryIndexUnits" : "localSecondaryIndexUnits"]:
        {
          [options.index.name]: units,
        },
    },
    options.returnConsumedCapacity,
  );
  if (capacity) text += `,"ConsumedCapacity":${JSON.stringify(capacity)}`;
  return new JsonText(text + "}");
}

/**
 * Validates `Select` against the projection and index, returning the effective Select value.
 */
export function resolveSelect(
  select: string | undefined,
  hasProjection: boolean,
  index: IndexDefinition | undefined,
): string {
  if (select === "SPECIFIC_ATTRIBUTES" && !hasProjection) {
    throw validationError(
      "One or more parameter values were invalid: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    );
  }
  if (select !== undefined && select !== "SPECIFIC_ATTRIBUTES" && hasProjection) {
    throw validationError(
      "One or more parameter values were invalid: Cannot specify the AttributesToGet or ProjectionExpression when choosing to get " +
        select,
    );
  }
  if (select === "ALL_PROJECTED_ATTRIBUTES" && index === undefined) {
    throw validationError(
      "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported for this request",
    );
  }
  if (
    select === "ALL_ATTRIBUTES" && index?.kind === "global" && index.projection.type !== "ALL"
  ) {
    throw validationError(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.name} because its projection type is not ALL`,
    );
  }
  if (select !== undefined) return select;
  if (hasProjection) return "SPECIFIC_ATTRIBUTES";
  return index === undefined ? "ALL_ATTRIBUTES" : "ALL_PROJECTED_ATTRIBUTES";
}

/**
 * Parses the filter (`FilterExpression`, or the legacy `QueryFilter`/`ScanFilter` with
 * `ConditionalOperator`) and the projection (`ProjectionExpression`, or the legacy
 * `AttributesToGet`) of a Query or Scan.
 */
export function parseFilterAndProjection(
  input: Record<string, unknown>,
  attributes: ExpressionAttributes,
  legacyFilterName: "QueryFilter" | "ScanFilter",
): { filter?: Condition; projection?: DocumentPath[] } {
  let filter: Condition | undefined;
  if (typeof input.FilterExpression === "string") {
    filter = parseCondition(input.FilterExpression, "FilterExpression", attributes);
  } else if (input[legacyFilterName] !== undefined) {
    filter = convertFilter(
      validateLegacyValues(input[legacyFilterName]) as Record<string, LegacyCondition>,
      input.ConditionalOperator as string | undefined,
      legacyFilterName,
    );
  }
  let projection: DocumentPath[] | undefined;
  if (typeof input.ProjectionExpression === "string") {
    projection = parseProjection(input.ProjectionExpression, attributes);
  } else if (input.AttributesToGet !== undefined) {
    projection = convertAttributesToGet(input.AttributesToGet as string[]);
  }
  return { filter, projection };
}
