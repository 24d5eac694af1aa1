/**
 * Syntax trees as the grammars produce them, before placeholders are resolved and before the
 * semantic checks, plus the path grammar that conditions, projections and updates share.
 *
 * DynamoDB checks an expression in three passes, and so do these parsers: the grammar (syntax
 * errors and redundant parentheses), then a walk over this tree in reading order (reserved words,
 * list index range, function names and where each function may appear, repeated update
 * sections), then the resolution of placeholders with the operand checks (see
 * `expression_validator.ts`). Each pass reports the first error it meets.
 *
 * @module
 */

import type { TokenStream } from "./lexer.ts";

/**
 * One step of a written path: a bare name, a `#name` placeholder, or a list index with its digits
 * as written (they may exceed the index range, which the walk checks).
 */
export type RawPathStep =
  | { readonly kind: "identifier"; readonly text: string }
  | { readonly kind: "name"; readonly text: string }
  | { readonly kind: "index"; readonly text: string };

/** A written document path. */
export interface RawPath {
  readonly kind: "path";
  readonly steps: readonly RawPathStep[];
}

/** A `:value` placeholder. */
export interface RawValue {
  readonly kind: "value";
  readonly placeholder: string;
}

/** A function call `name(arguments)`; whether the name is known is checked later. */
export interface RawCall {
  readonly kind: "call";
  readonly name: string;
  readonly arguments: readonly RawOperand[];
}

/** An operand as written. */
export type RawOperand = RawPath | RawValue | RawCall;

/** A condition as written. AND and OR group to the right: `a AND b AND c` is `a AND (b AND c)`. */
export type RawCondition =
  | {
    readonly kind: "comparison";
    readonly operator: "=" | "<>" | "<" | "<=" | ">" | ">=";
    readonly left: RawOperand;
    readonly right: RawOperand;
  }
  | {
    readonly kind: "between";
    readonly operand: RawOperand;
    readonly lower: RawOperand;
    readonly upper: RawOperand;
  }
  | { readonly kind: "in"; readonly operand: RawOperand; readonly candidates: RawOperand[] }
  | { readonly kind: "function"; readonly call: RawCall }
  | { readonly kind: "and" | "or"; readonly left: RawCondition; readonly right: RawCondition }
  | { readonly kind: "not"; readonly condition: RawCondition };

/**
 * Parses a document path at the current token: a name or `#name`, then any number of `.name`,
 * `.#name` and `[digits]` steps. A bare name that is one of `keywords` is a syntax error, because
 * the grammar reads it as that keyword.
 */
export function parsePath(stream: TokenStream, keywords: ReadonlySet<string>): RawPath {
  const steps: RawPathStep[] = [parseNameStep(stream, keywords)];
  for (;;) {
    if (stream.atPunctuation(".")) {
      stream.next();
      steps.push(parseNameStep(stream, keywords));
    } else if (stream.atPunctuation("[")) {
      stream.next();
      const token = stream.peek();
      if (token.kind !== "number") throw stream.syntaxError();
      stream.next();
      stream.expectPunctuation("]");
      steps.push({ kind: "index", text: token.text });
    } else {
      return { kind: "path", steps };
    }
  }
}

function parseNameStep(stream: TokenStream, keywords: ReadonlySet<string>): RawPathStep {
  const token = stream.peek();
  if (token.kind === "name") {
    stream.next();
    return { kind: "name", text: token.text };
  }
  if (token.kind === "identifier" && !keywords.has(token.text.toUpperCase())) {
    stream.next();
    return { kind: "identifier", text: token.text };
  }
  throw stream.syntaxError();
}

/**
 * Parses the comma-separated arguments of a call after its `(` and consumes the closing `)`.
 * `parseOperand` parses one argument.
 */
export function parseArguments<T>(stream: TokenStream, parseOperand: () => T): T[] {
  const operands = [parseOperand()];
  while (stream.atPunctuation(",")) {
    stream.next();
    operands.push(parseOperand());
  }
  stream.expectPunctuation(")");
  return operands;
}
