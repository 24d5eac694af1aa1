/**
 * Resolves a written path into a {@linkcode DocumentPath}: `#name` placeholders become the names
 * they stand for, and bare names are checked against DynamoDB's reserved words. Shared by every
 * expression parser.
 *
 * @module
 */

import type { ExpressionAttributes } from "./attributes.ts";
import type { DocumentPath } from "./document_path.ts";
import { isReservedWord } from "./reserved_words.ts";
import type { RawPath } from "./syntax_tree.ts";

/** A resolved path with the first problem of each kind found on the way. */
export interface ResolvedPath {
  /** The path; steps whose placeholder is undefined are left as the placeholder text. */
  readonly path: DocumentPath;
  /** The first bare name that is a reserved word, as written. */
  readonly reservedWord?: string;
  /** The first `#name` placeholder the request does not define. */
  readonly undefinedName?: string;
}

/** Resolves `raw` through `attributes`, which records the placeholders it finds as used. */
export function resolvePath(raw: RawPath, attributes: ExpressionAttributes): ResolvedPath {
  const path: DocumentPath = [];
  let reservedWord: string | undefined;
  let undefinedName: string | undefined;
  for (const step of raw.steps) {
    if (step.kind === "index") {
      path.push(step.index);
    } else if (step.kind === "identifier") {
      if (reservedWord === undefined && isReservedWord(step.text)) reservedWord = step.text;
      path.push(step.text);
    } else {
      const name = attributes.resolveName(step.text);
      if (name === undefined) undefinedName ??= step.text;
      path.push(name ?? step.text);
    }
  }
  return { path, reservedWord, undefinedName };
}
