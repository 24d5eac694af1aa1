/**
 * Syntax trees as the grammars produce them, before placeholders are resolved and before the
 * semantic checks, plus the path grammar that conditions, projections and updates share.
 *
 * DynamoDB reports a syntax error before any semantic error, and ranks the semantic errors of a
 * whole expression against each other (see `condition_parser.ts`), so parsing first builds this
 * tree and a second pass checks and resolves it.
 *
 * @module
 */

import type { TokenStream } from "./lexer.ts";

/** One step of a written path: a bare name, a `#name` placeholder, or a list index. */
export type RawPathStep =
  | { readonly kind: "identifier"; readonly text: string }
  | { readonly kind: "name"; readonly text: string }
  | { readonly kind: "index"; readonly index: number };

/**
 * Wrapping parentheses, counted on the node they wrap. DynamoDB rejects two or more around the
 * same operand or condition as redundant.
 */
export interface Parenthesized {
  parentheses: number;
}

/** A written document path. */
export interface RawPath extends Parenthesized {
  readonly kind: "path";
  readonly steps: readonly RawPathStep[];
}

/** A `:value` placeholder. */
export interface RawValue extends Parenthesized {
  readonly kind: "value";
  readonly placeholder: string;
}

/** A function call `name(arguments)`; whether the name is known is checked later. */
export interface RawCall extends Parenthesized {
  readonly kind: "call";
  readonly name: string;
  readonly arguments: readonly RawOperand[];
}

/** An operand as written. */
export type RawOperand = RawPath | RawValue | RawCall;

/** A condition as written. */
export type RawCondition =
  & Parenthesized
  & (
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
    | { readonly kind: "not"; readonly condition: RawCondition }
  );

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
      steps.push({ kind: "index", index: Number(token.text) });
    } else {
      return { kind: "path", steps, parentheses: 0 };
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
