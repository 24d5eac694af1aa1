/**
 * TransactWriteItems and TransactGetItems.
 *
 * A write transaction locks every item it names (in key order, so transactions cannot deadlock),
 * evaluates every condition and update against the current items, and writes all changes in one
 * atomic storage batch, or nothing when any action fails. The failure is a
 * `TransactionCanceledException` whose `CancellationReasons` has one entry per action, in request
 * order. Concurrent transactions on the same items wait for each other instead of failing with
 * `TransactionConflict`.
 *
 * `ClientRequestToken` makes a write transaction idempotent for 10 minutes: a repeat with the same
 * token and parameters returns the first result without writing again; the same token with other
 * parameters gets `IdempotentParameterMismatchException`.
 *
 * A read transaction reads every item at one storage snapshot.
 *
 * @module
 */

import type { Item } from "../attribute_value.ts";
import type { TableDefinition } from "../../cluster/catalog.ts";
import { itemStorageKey } from "../../cluster/key_layout.ts";
import type { WriteRequest } from "../../cluster/item_store.ts";
import { DynamoDBError, validationError } from "../errors.ts";
import {
  applyUpdate,
  type Condition,
  type DocumentPath,
  evaluateCondition,
  parseCondition,
  parseProjection,
  parseUpdate,
  projectItem,
  type UpdateExpression,
} from "../expressions/mod.ts";
import { itemSizeBytes } from "../item_size.ts";
import { readCapacityUnits } from "../capacity.ts";
import { checkRequestShape, type OperationModel, type Shape } from "../request_shape.ts";
import { validateItem, validateItemKeyAttributes } from "../validation.ts";
import {
  ATTRIBUTE_MAP_SHAPE,
  EXPRESSION_NAMES_SHAPE,
  EXPRESSION_VALUES_SHAPE,
  type OperationContext,
  RETURN_CONSUMED_CAPACITY_SHAPE,
  RETURN_ITEM_COLLECTION_METRICS_SHAPE,
  TABLE_NAME_SHAPE,
} from "./context.ts";
import {
  checkIndexKeyAttributes,
  checkItemSize,
  checkUpdatedItem,
  expressionAttributes,
  keyAttributeNames,
  keyOf,
  renderConsumedCapacity,
  validateKeyInput,
  writeUsage,
} from "./item_common.ts";
import { RETURN_ON_FAILURE_SHAPE } from "./put_item.ts";
import { requireTable } from "./table_description.ts";

/** Maximum actions in one transaction. */
const TRANSACTION_ITEMS_MAX = 100;
/** Maximum aggregate size of the items in one write transaction (4 MB). */
const TRANSACTION_BYTES_MAX = 4 * 1024 * 1024;
/** How long a ClientRequestToken is remembered. */
const IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;

const ACTION_COMMON: Record<string, Shape> = {
  TableName: TABLE_NAME_SHAPE,
  ConditionExpression: { type: "String" },
  ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
  ExpressionAttributeValues: EXPRESSION_VALUES_SHAPE,
  ReturnValuesOnConditionCheckFailure: RETURN_ON_FAILURE_SHAPE,
};

const KEY_SHAPE: Shape = { ...ATTRIBUTE_MAP_SHAPE, constraints: { notNull: true } };

const WRITE_MODEL: OperationModel = {
  TransactItems: {
    type: "List",
    constraints: { notNull: true, minLength: 1, maxLength: TRANSACTION_ITEMS_MAX },
    member: {
      type: "Structure",
      members: {
        ConditionCheck: {
          type: "Structure",
          members: {
            ...ACTION_COMMON,
            Key: KEY_SHAPE,
            ConditionExpression: { type: "String", constraints: { notNull: true } },
          },
        },
        Put: { type: "Structure", members: { ...ACTION_COMMON, Item: KEY_SHAPE } },
        Delete: { type: "Structure", members: { ...ACTION_COMMON, Key: KEY_SHAPE } },
        Update: {
          type: "Structure",
          members: {
            ...ACTION_COMMON,
            Key: KEY_SHAPE,
            UpdateExpression: { type: "String", constraints: { notNull: true } },
          },
        },
      },
    },
  },
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
  ReturnItemCollectionMetrics: RETURN_ITEM_COLLECTION_METRICS_SHAPE,
  ClientRequestToken: { type: "String", constraints: { minLength: 1, maxLength: 36 } },
};

type ActionKind = "ConditionCheck" | "Put" | "Delete" | "Update";

interface PlannedAction {
  kind: ActionKind;
  table: TableDefinition;
  key: Item;
  item?: Item;
  condition?: Condition;
  update?: UpdateExpression;
  returnOldOnFailure: boolean;
}

/** Outcome of one action, evaluated under the transaction's locks. */
interface ActionOutcome {
  reason: { Code: string; Message?: string; Item?: Item };
  before?: Item;
  after?: Item | null;
}

const idempotencyCache = new Map<
  string,
  { requestHash: string; expiresAtMs: number; response: Record<string, unknown> }
>();

/** Handles TransactWriteItems. */
export async function transactWriteItems(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, WRITE_MODEL);
  const token = input.ClientRequestToken as string | undefined;
  const requestHash = JSON.stringify(input.TransactItems);
  const cached = token === undefined ? undefined : lookUpToken(token, requestHash);
  if (cached !== undefined) return cached;

  const actions = (input.TransactItems as Array<Record<string, Record<string, unknown>>>).map(
    (raw) => planAction(raw, context),
  );
  checkDistinctItems(actions);
  const totalBytes = actions.reduce(
    (sum, action) => sum + (action.item ? itemSizeBytes(action.item) : 0),
    0,
  );
  if (totalBytes > TRANSACTION_BYTES_MAX) {
    throw validationError("Transaction request size cannot exceed 4 MB");
  }

  const requests: WriteRequest<ActionOutcome>[] = actions.map((action) => ({
    table: action.table,
    key: action.key,
    decide: (current) => {
      const outcome = evaluateAction(action, current);
      return { item: outcome.reason.Code === "None" ? outcome.after : undefined, result: outcome };
    },
  }));
  const outcomes = await context.items.writeAtomically(requests, (results) => {
    if (results.every((outcome) => outcome.reason.Code === "None")) return;
    throw transactionCanceled(results.map((outcome) => outcome.reason));
  });

  const output: Record<string, unknown> = {};
  const capacity = transactionCapacity(actions, outcomes, input.ReturnConsumedCapacity);
  if (capacity.length > 0) output.ConsumedCapacity = capacity;
  if (token !== undefined) {
    idempotencyCache.set(token, {
      requestHash,
      expiresAtMs: Date.now() + IDEMPOTENCY_WINDOW_MS,
      response: output,
    });
  }
  return output;
}

function lookUpToken(token: string, requestHash: string): Record<string, unknown> | undefined {
  const nowMs = Date.now();
  for (const [key, entry] of idempotencyCache) {
    if (entry.expiresAtMs <= nowMs) idempotencyCache.delete(key);
  }
  const entry = idempotencyCache.get(token);
  if (entry === undefined) return undefined;
  if (entry.requestHash !== requestHash) {
    throw new DynamoDBError(
      "IdempotentParameterMismatchException",
      "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.",
    );
  }
  return entry.response;
}

function planAction(
  raw: Record<string, Record<string, unknown>>,
  context: OperationContext,
): PlannedAction {
  const kinds = (Object.keys(raw) as ActionKind[]).filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) {
    throw validationError(
      "TransactItems can only contain one of Check, Put, Update or Delete",
    );
  }
  const kind = kinds[0]!;
  const parameters = raw[kind]!;
  const attributes = expressionAttributes(parameters);
  const condition = typeof parameters.ConditionExpression === "string"
    ? parseCondition(parameters.ConditionExpression, "ConditionExpression", attributes)
    : undefined;
  const update = kind === "Update"
    ? parseUpdate(parameters.UpdateExpression as string, attributes)
    : undefined;
  attributes.assertAllUsed();

  const table = requireTable(context, parameters.TableName as string);
  const returnOldOnFailure = parameters.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
  if (kind === "Put") {
    const item = validateItem(parameters.Item, { style: "older" });
    validateItemKeyAttributes(item, table.keySchema);
    checkIndexKeyAttributes(table, item);
    checkItemSize(item, "Item size has exceeded the maximum allowed size");
    return { kind, table, key: keyOf(table, item), item, condition, returnOldOnFailure };
  }
  const key = validateKeyInput(parameters.Key, table.keySchema, { style: "older" });
  return { kind, table, key, condition, update, returnOldOnFailure };
}

function checkDistinctItems(actions: PlannedAction[]): void {
  const seen = new Set<string>();
  for (const action of actions) {
    const identity = `${action.table.tableId}:${
      itemStorageKey(action.table.tableId, action.table.keySchema, action.key).join(",")
    }`;
    if (seen.has(identity)) {
      throw validationError("Transaction request cannot include multiple operations on one item");
    }
    seen.add(identity);
  }
}

function evaluateAction(action: PlannedAction, current: Item | undefined): ActionOutcome {
  if (action.condition !== undefined && !evaluateCondition(action.condition, current)) {
    const reason: ActionOutcome["reason"] = {
      Code: "ConditionalCheckFailed",
      Message: "The conditional request failed",
    };
    if (action.returnOldOnFailure && current !== undefined) reason.Item = current;
    return { reason, before: current };
  }
  try {
    switch (action.kind) {
      case "ConditionCheck":
        return { reason: { Code: "None" }, before: current, after: undefined };
      case "Put":
        return { reason: { Code: "None" }, before: current, after: action.item };
      case "Delete":
        return {
          reason: { Code: "None" },
          before: current,
          after: current === undefined ? undefined : null,
        };
      case "Update": {
        const base = current ?? structuredClone(action.key);
        const applied = applyUpdate(
          base,
          action.update!,
          keyAttributeNames(action.table.keySchema),
          {
            itemExists: current !== undefined,
          },
        );
        checkUpdatedItem(applied.item);
        checkIndexKeyAttributes(action.table, applied.item);
        return { reason: { Code: "None" }, before: current, after: applied.item };
      }
    }
  } catch (error) {
    if (error instanceof DynamoDBError && error.type === "ValidationException") {
      return { reason: { Code: "ValidationError", Message: error.message }, before: current };
    }
    throw error;
  }
}

function transactionCanceled(reasons: ActionOutcome["reason"][]): DynamoDBError {
  const codes = reasons.map((reason) => reason.Code).join(", ");
  return new DynamoDBError(
    "TransactionCanceledException",
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
    { messageKey: "Message", extraFields: { CancellationReasons: reasons } },
  );
}

function transactionCapacity(
  actions: PlannedAction[],
  outcomes: ActionOutcome[],
  report: unknown,
): Record<string, unknown>[] {
  const unitsByTable = new Map<string, number>();
  actions.forEach((action, position) => {
    const outcome = outcomes[position]!;
    const units = writeUsage(action.table, outcome.before, outcome.after ?? undefined, {
      transactional: true,
    }).tableUnits;
    unitsByTable.set(action.table.name, (unitsByTable.get(action.table.name) ?? 0) + units);
  });
  const rendered: Record<string, unknown>[] = [];
  for (const [tableName, units] of unitsByTable) {
    const capacity = renderConsumedCapacity(
      tableName,
      { kind: "write", tableUnits: units },
      report,
    );
    if (capacity) rendered.push(capacity);
  }
  return rendered;
}

const GET_MODEL: OperationModel = {
  TransactItems: {
    type: "List",
    constraints: { notNull: true, minLength: 1, maxLength: TRANSACTION_ITEMS_MAX },
    member: {
      type: "Structure",
      members: {
        Get: {
          type: "Structure",
          constraints: { notNull: true },
          members: {
            TableName: TABLE_NAME_SHAPE,
            Key: KEY_SHAPE,
            ProjectionExpression: { type: "String" },
            ExpressionAttributeNames: EXPRESSION_NAMES_SHAPE,
          },
        },
      },
    },
  },
  ReturnConsumedCapacity: RETURN_CONSUMED_CAPACITY_SHAPE,
};

/** Handles TransactGetItems: every item read at one snapshot. */
export async function transactGetItems(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, GET_MODEL);
  const gets = (input.TransactItems as Array<{ Get: Record<string, unknown> }>).map(({ Get }) => {
    const attributes = expressionAttributes(Get);
    const projection: DocumentPath[] | undefined = typeof Get.ProjectionExpression === "string"
      ? parseProjection(Get.ProjectionExpression, attributes)
      : undefined;
    attributes.assertAllUsed();
    const table = requireTable(context, Get.TableName as string);
    return {
      table,
      key: validateKeyInput(Get.Key, table.keySchema, { style: "older" }),
      projection,
    };
  });
  checkDistinctItems(
    gets.map((get) => ({ ...get, kind: "ConditionCheck", returnOldOnFailure: false })),
  );

  const snapshot = context.items.snapshot();
  let items: Array<Item | undefined>;
  try {
    items = await Promise.all(gets.map((get) => context.items.get(get.table, get.key, snapshot)));
  } finally {
    snapshot.release();
  }

  const unitsByTable = new Map<string, number>();
  const responses = items.map((item, position) => {
    const get = gets[position]!;
    const units = readCapacityUnits(item ? itemSizeBytes(item) : 0, "transactional");
    unitsByTable.set(get.table.name, (unitsByTable.get(get.table.name) ?? 0) + units);
    if (item === undefined) return {};
    return { Item: get.projection ? projectItem(item, get.projection) : item };
  });
  const output: Record<string, unknown> = { Responses: responses };
  const capacities: Record<string, unknown>[] = [];
  for (const [tableName, units] of unitsByTable) {
    const capacity = renderConsumedCapacity(
      tableName,
      { kind: "read", tableUnits: units },
      input.ReturnConsumedCapacity,
    );
    if (capacity) capacities.push(capacity);
  }
  if (capacities.length > 0) output.ConsumedCapacity = capacities;
  return output;
}
