/**
 * Detects document paths of one ProjectionExpression or UpdateExpression that overlap (`a` and
 * `a.b`, or the same path twice) or conflict (`a.b` and `a[0]`, which treat `a` as a map and as a
 * list). DynamoDB adds the paths one at a time to a tree and reports the first path that clashes
 * with the tree built so far. The message names that path first, then a path of the tree found by
 * following the first branch at each level below the point where the two part.
 *
 * @module
 */

import { formatPath, type PathElement } from "./document_path.ts";

/** A tree level: each step leads to the next level, or to `null` where a path ends. */
type Level = Map<PathElement, Level | null>;

/** The paths added so far. */
export class PathTree {
  readonly #root: Level = new Map();

  /**
   * Adds `path`, or returns DynamoDB's message when it clashes with a path added before:
   * `Two document paths overlap with each other; must remove or rewrite one of these paths; path
   * one: [a], path two: [a, b]`, or the same with `conflict`.
   */
  add(path: readonly PathElement[]): string | undefined {
    let level = this.#root;
    for (let depth = 0; depth < path.length; depth++) {
      const step = path[depth] as PathElement;
      if (!level.has(step)) {
        const [first] = level.keys();
        if (first !== undefined && typeof first !== typeof step) {
          return clashMessage("conflict", path, branchPath(path, depth, level));
        }
        level.set(step, chain(path.slice(depth + 1)));
        return undefined;
      }
      const next = level.get(step) as Level | null;
      if (next === null || depth === path.length - 1) {
        return clashMessage("overlap", path, branchPath(path, depth, level));
      }
      level = next;
    }
    return undefined;
  }
}

function chain(steps: readonly PathElement[]): Level | null {
  let level: Level | null = null;
  for (let index = steps.length - 1; index >= 0; index--) {
    level = new Map([[steps[index] as PathElement, level]]);
  }
  return level;
}

/** Returns the first `depth` steps of `path`, then the first branch of each level below `level`. */
function branchPath(path: readonly PathElement[], depth: number, level: Level): PathElement[] {
  const steps = path.slice(0, depth);
  let current: Level | null = level;
  while (current !== null && current.size > 0) {
    const step = current.keys().next().value as PathElement;
    steps.push(step);
    current = current.get(step) ?? null;
  }
  return steps;
}

function clashMessage(
  relation: "overlap" | "conflict",
  one: readonly PathElement[],
  two: readonly PathElement[],
): string {
  return `Two document paths ${relation} with each other; must remove or rewrite one of these ` +
    `paths; path one: ${formatPath(one)}, path two: ${formatPath(two)}`;
}
