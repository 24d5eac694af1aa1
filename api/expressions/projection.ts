/**
 * ProjectionExpression: parsing a comma-separated list of document paths, and copying the parts of
 * an item those paths address. The copy keeps the nesting, so projecting `a.b[1]` from an item
 * gives `{a: {M: {b: {L: [element]}}}}`. Elements taken from one list keep their original order,
 * whatever order the paths list them in.
 *
 * {@linkcode selectPaths} applies the same copy to the paths an update changed, for ReturnValues
 * `UPDATED_OLD` and `UPDATED_NEW`. Both run on the request path and never modify their input.
 *
 * @module
 */

import type { AttributeValue, Item } from "../attribute_value.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { type DocumentPath, type PathElement, readPath, setEntry } from "./document_path.ts";
import { checkExpressionText } from "./expression_error.ts";
import { ExpressionValidator } from "./expression_validator.ts";
import { checkPathWords } from "./expression_walk.ts";
import { TokenStream } from "./lexer.ts";
import { PathTree } from "./path_tree.ts";
import { parsePath, type RawPath } from "./syntax_tree.ts";

const NO_KEYWORDS: ReadonlySet<string> = new Set();

/**
 * Parses a ProjectionExpression into its paths, resolving `#name` placeholders through
 * `attributes`. After the syntax, the bare names are checked in reading order; then, as DynamoDB
 * does, the paths are resolved and added to a path tree from the last to the first, so with two
 * undefined placeholders the later one is reported.
 *
 * @throws DynamoDBError ValidationException `Invalid ProjectionExpression: …` for a syntax error, a
 * bare reserved word, a list index too large, an undefined placeholder, a path deeper than 32, or
 * two paths that overlap (`a` and `a.b`) or conflict (`a.b` and `a[0]`).
 */
export function parseProjection(text: string, attributes: ExpressionAttributes): DocumentPath[] {
  const kind = "ProjectionExpression";
  checkExpressionText(kind, text);
  const stream = new TokenStream(kind, text);
  const rawPaths: RawPath[] = [parsePath(stream, NO_KEYWORDS)];
  while (stream.atPunctuation(",")) {
    stream.next();
    rawPaths.push(parsePath(stream, NO_KEYWORDS));
  }
  stream.expectEnd();
  for (const raw of rawPaths) checkPathWords(kind, raw);

  const validator = new ExpressionValidator(kind, attributes);
  const tree = new PathTree();
  const paths: DocumentPath[] = [];
  for (let index = rawPaths.length - 1; index >= 0; index--) {
    const path = validator.path(rawPaths[index] as RawPath);
    const clash = tree.add(path);
    if (clash !== undefined) throw validator.error(clash);
    paths[index] = path;
  }
  return paths;
}

/** A partly built projection: values at leaves, maps and lists of parts above them. */
type ProjectionNode =
  | { readonly kind: "leaf"; readonly value: AttributeValue }
  | { readonly kind: "map"; readonly children: Map<string, ProjectionNode> }
  | { readonly kind: "list"; readonly children: Map<number, ProjectionNode> };

/**
 * Returns the parts of `item` at `paths`, nested as in the item. Paths that address nothing are
 * skipped, so an item with none of them gives `{}`. The result shares the projected values with
 * `item` instead of copying them.
 */
export function projectItem(item: Item, paths: readonly DocumentPath[]): Item {
  const root = new Map<string, ProjectionNode>();
  for (const path of paths) {
    const value = readPath(item, path);
    if (value !== undefined) insertProjected(root, path, value);
  }
  const result: Item = {};
  for (const [name, node] of root) setEntry(result, name, buildValue(node));
  return result;
}

/** Returns the parts of `item` at `paths` (for UPDATED_OLD / UPDATED_NEW). */
export function selectPaths(item: Item, paths: readonly DocumentPath[]): Item {
  return projectItem(item, paths);
}

function insertProjected(
  root: Map<string, ProjectionNode>,
  path: readonly PathElement[],
  value: AttributeValue,
): void {
  let children: Map<PathElement, ProjectionNode> = root as Map<PathElement, ProjectionNode>;
  for (let index = 0; index < path.length - 1; index++) {
    const step = path[index] as PathElement;
    const nextIsIndex = typeof path[index + 1] === "number";
    let node = children.get(step);
    if (node === undefined || node.kind === "leaf") {
      node = nextIsIndex
        ? { kind: "list", children: new Map<number, ProjectionNode>() }
        : { kind: "map", children: new Map<string, ProjectionNode>() };
      children.set(step, node);
    }
    children = node.children as Map<PathElement, ProjectionNode>;
  }
  children.set(path[path.length - 1] as PathElement, { kind: "leaf", value });
}

function buildValue(node: ProjectionNode): AttributeValue {
  if (node.kind === "leaf") return node.value;
  if (node.kind === "map") {
    const map: Record<string, AttributeValue> = {};
    for (const [key, child] of node.children) setEntry(map, key, buildValue(child));
    return { M: map };
  }
  const indexes = [...node.children.keys()].sort((a, b) => a - b);
  return { L: indexes.map((index) => buildValue(node.children.get(index) as ProjectionNode)) };
}
