/**
 * TagResource, UntagResource and ListTagsOfResource on tables, addressed by table ARN.
 *
 * @module
 */

import { resourceNotFound, validationError } from "../errors.ts";
import { checkRequestShape, type OperationModel } from "../request_shape.ts";
import type { OperationContext } from "./context.ts";
import { resolveTableName } from "./table_description.ts";
import type { TableDefinition } from "../../cluster/catalog.ts";

/** Maximum tags per table. */
const TAGS_PER_TABLE_MAX = 50;

const ARN_SHAPE = {
  type: "String",
  constraints: { notNull: true, minLength: 1, maxLength: 1283 },
} as const;

const TAG_MODEL: OperationModel = {
  ResourceArn: ARN_SHAPE,
  Tags: {
    type: "List",
    constraints: { notNull: true },
    member: {
      type: "Structure",
      members: {
        Key: { type: "String", constraints: { notNull: true, minLength: 1, maxLength: 128 } },
        Value: { type: "String", constraints: { notNull: true, maxLength: 256 } },
      },
    },
  },
};

const UNTAG_MODEL: OperationModel = {
  ResourceArn: ARN_SHAPE,
  TagKeys: { type: "List", constraints: { notNull: true }, member: { type: "String" } },
};

const LIST_MODEL: OperationModel = { ResourceArn: ARN_SHAPE, NextToken: { type: "String" } };

function tableForArn(context: OperationContext, arn: string): TableDefinition {
  if (!arn.startsWith("arn:")) {
    throw validationError(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
  }
  const table = context.catalog.get(resolveTableName(arn));
  if (table === undefined) {
    throw resourceNotFound(`Requested resource not found: ResourcArn: ${arn} not found`);
  }
  return table;
}

/** Handles TagResource. Returns an empty body, as DynamoDB does. */
export async function tagResource(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<undefined> {
  const input = checkRequestShape(rawInput, TAG_MODEL);
  const table = tableForArn(context, input.ResourceArn as string);
  const tags = { ...table.tags };
  for (const tag of input.Tags as Array<{ Key: string; Value: string }>) tags[tag.Key] = tag.Value;
  if (Object.keys(tags).length > TAGS_PER_TABLE_MAX) {
    throw validationError(
      `One or more parameter values were invalid: Too many tags: the limit is ${TAGS_PER_TABLE_MAX}`,
    );
  }
  await context.catalog.put({ ...table, tags });
  return undefined;
}

/** Handles UntagResource. */
export async function untagResource(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<undefined> {
  const input = checkRequestShape(rawInput, UNTAG_MODEL);
  const table = tableForArn(context, input.ResourceArn as string);
  const tags = { ...table.tags };
  for (const key of input.TagKeys as string[]) delete tags[key];
  await context.catalog.put({ ...table, tags });
  return undefined;
}

/** Handles ListTagsOfResource; all tags fit one page. */
export function listTagsOfResource(
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  const input = checkRequestShape(rawInput, LIST_MODEL);
  const table = tableForArn(context, input.ResourceArn as string);
  return Promise.resolve({
    Tags: Object.entries(table.tags).map(([Key, Value]) => ({ Key, Value })),
  });
}
