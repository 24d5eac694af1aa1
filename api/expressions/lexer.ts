/**
 * Splits an expression into tokens and reports syntax errors the way DynamoDB does.
 *
 * Tokens follow DynamoDB's lexical rules. An attribute or function name is a letter followed by
 * letters, digits and underscores, so `_a` and `1a` are not names. A name placeholder is `#` and a
 * value placeholder `:` followed by at least one letter, digit or underscore. A number (list
 * index) is a run of digits, and the punctuation is `( ) [ ] , . = <> < <= > >= + -`. Any other
 * character becomes a one-character `unknown` token that no grammar accepts, so the parser
 * reports it as the syntax error. Keywords (`AND`, `SET`, …) are ordinary identifiers here; each
 * parser recognises them, in any letter case, where its grammar expects one.
 *
 * A syntax error names the offending token (`<EOF>` at the end) and quotes the source from the
 * start of the token before it to the end of the token after it:
 * `Invalid UpdateExpression: Syntax error; token: "_", near: "SET _123"`.
 *
 * @module
 */

import { type DynamoDBError } from "../errors.ts";
import { expressionError, type ExpressionKind } from "./expression_error.ts";

/** The lexical class of a token. */
export type TokenKind =
  | "identifier"
  | "name"
  | "value"
  | "number"
  | "punctuation"
  | "unknown"
  | "eof";

/** One token; `start` and `end` are UTF-16 offsets into the source, `end` exclusive. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const TWO_CHARACTER_PUNCTUATION = new Set(["<>", "<=", ">="]);
const ONE_CHARACTER_PUNCTUATION = new Set(["(", ")", "[", "]", ",", ".", "=", "<", ">", "+", "-"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

function isLetter(character: string): boolean {
  return (character >= "a" && character <= "z") || (character >= "A" && character <= "Z");
}

function isDigit(character: string): boolean {
  return character >= "0" && character <= "9";
}

function isWordCharacter(character: string): boolean {
  return isLetter(character) || isDigit(character) || character === "_";
}

/** Returns the end offset of the run of characters from `start` that satisfy `accept`. */
function scan(source: string, start: number, accept: (character: string) => boolean): number {
  let end = start;
  while (end < source.length && accept(source[end] as string)) end++;
  return end;
}

/** Splits `source` into tokens, always ending with one `eof` token. Never throws. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const character = source[position] as string;
    if (WHITESPACE.has(character)) {
      position++;
      continue;
    }
    const end = tokenEnd(source, position, character);
    tokens.push({
      kind: tokenKind(source, position, character, end),
      text: source.slice(position, end),
      start: position,
      end,
    });
    position = end;
  }
  tokens.push({ kind: "eof", text: "<EOF>", start: source.length, end: source.length });
  return tokens;
}

function tokenEnd(source: string, start: number, character: string): number {
  if (isLetter(character)) return scan(source, start + 1, isWordCharacter);
  if (isDigit(character)) return scan(source, start + 1, isDigit);
  if (character === "#" || character === ":") {
    const end = scan(source, start + 1, isWordCharacter);
    if (end > start + 1) return end;
  }
  if (TWO_CHARACTER_PUNCTUATION.has(source.slice(start, start + 2))) return start + 2;
  // One code point: a character outside the Basic Multilingual Plane is two UTF-16 units.
  const codePoint = source.codePointAt(start) as number;
  return start + (codePoint > 0xffff ? 2 : 1);
}

function tokenKind(source: string, start: number, character: string, end: number): TokenKind {
  if (isLetter(character)) return "identifier";
  if (isDigit(character)) return "number";
  if (end > start + 1 && character === "#") return "name";
  if (end > start + 1 && character === ":") return "value";
  const text = source.slice(start, end);
  if (TWO_CHARACTER_PUNCTUATION.has(text) || ONE_CHARACTER_PUNCTUATION.has(text)) {
    return "punctuation";
  }
  return "unknown";
}

/**
 * Builds DynamoDB's syntax error for the token at `index`: the token's text (`<EOF>` at the end)
 * and the source from the previous token's start to the next token's end.
 */
export function syntaxError(
  kind: ExpressionKind,
  source: string,
  tokens: readonly Token[],
  index: number,
): DynamoDBError {
  const token = tokens[index] as Token;
  const previous = index > 0 ? tokens[index - 1] : undefined;
  const next = tokens[index + 1];
  const nearStart = previous?.start ?? token.start;
  const nearEnd = token.kind === "eof"
    ? previous?.end ?? token.end
    : next !== undefined && next.kind !== "eof"
    ? next.end
    : token.end;
  return expressionError(
    kind,
    `Syntax error; token: "${token.text}", near: "${source.slice(nearStart, nearEnd)}"`,
  );
}

function matchParentheses(tokens: readonly Token[]): Map<number, number> {
  const closingIndex = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== "punctuation") return;
    if (token.text === "(") {
      open.push(index);
      closingIndex.set(index, -1);
    } else if (token.text === ")" && open.length > 0) {
      closingIndex.set(open.pop() as number, index);
    }
  });
  return closingIndex;
}

/**
 * A cursor over the tokens of one expression, shared by the parsers. Keyword matching ignores
 * letter case, as DynamoDB does for `AND`, `BETWEEN`, `SET` and the other keywords.
 */
export class TokenStream {
  readonly kind: ExpressionKind;
  readonly source: string;
  readonly tokens: readonly Token[];
  /** For each `(` token index, the index of its matching `)`, or -1 when it is never closed. */
  readonly #closingIndex: Map<number, number>;
  #position = 0;

  constructor(kind: ExpressionKind, source: string) {
    this.kind = kind;
    this.source = source;
    this.tokens = tokenize(source);
    this.#closingIndex = matchParentheses(this.tokens);
  }

  /** Index of the current token. */
  get position(): number {
    return this.#position;
  }

  /** Returns the token `offset` places after the current one (the `eof` token past the end). */
  peek(offset = 0): Token {
    const index = Math.min(this.#position + offset, this.tokens.length - 1);
    return this.tokens[index] as Token;
  }

  /** Returns the current token and moves past it. */
  next(): Token {
    const token = this.peek();
    if (this.#position < this.tokens.length - 1) this.#position++;
    return token;
  }

  /**
   * Returns the index of the `)` that closes the `(` at `index`, or -1 when the parenthesis is
   * never closed.
   */
  closingParenthesis(index: number): number {
    return this.#closingIndex.get(index) ?? -1;
  }

  /**
   * Consumes a run of `(` tokens at the current token that all wrap the same thing, as in
   * `((((a < b))))`, and returns how many it consumed (at least one). Two `(` belong to one run
   * when their `)` are adjacent too, or when neither is ever closed. Parsing such a run in one
   * step instead of one recursion per parenthesis keeps deep nesting off the call stack.
   */
  consumeParenthesisRun(): number {
    const first = this.#position;
    const firstClosing = this.closingParenthesis(first);
    let count = 1;
    for (;;) {
      const token = this.tokens[first + count] as Token;
      if (token.kind !== "punctuation" || token.text !== "(") break;
      const closing = this.closingParenthesis(first + count);
      const expected = firstClosing === -1 ? -1 : firstClosing - count;
      if (closing !== expected) break;
      count++;
    }
    this.#position += count;
    return count;
  }

  /** Consumes `count` closing parentheses or throws a syntax error at the first one missing. */
  expectClosingParentheses(count: number): void {
    for (let index = 0; index < count; index++) this.expectPunctuation(")");
  }

  /**
   * Parses a parenthesised group at the current `(` with `parseInner` for its inside. A group
   * directly inside another, as in `((a = b))` or `((:v))`, is rejected once its parentheses
   * close, before the grammar reads on: DynamoDB's grammar raises this error while parsing.
   *
   * @throws DynamoDBError ValidationException `Invalid <kind>: The expression has redundant
   * parentheses;`, or a syntax error.
   */
  parenthesized<T>(parseInner: () => T): T {
    const count = this.consumeParenthesisRun();
    const inner = parseInner();
    this.expectClosingParentheses(count);
    if (count > 1) throw expressionError(this.kind, "The expression has redundant parentheses;");
    return inner;
  }

  /** Returns whether the current token is the punctuation `text`. */
  atPunctuation(text: string): boolean {
    const token = this.peek();
    return token.kind === "punctuation" && token.text === text;
  }

  /** Returns whether the token `offset` places ahead is the keyword `word` (upper case). */
  atKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "identifier" && token.text.toUpperCase() === word;
  }

  /** Consumes the punctuation `text` or throws a syntax error at the current token. */
  expectPunctuation(text: string): Token {
    if (!this.atPunctuation(text)) throw this.syntaxError();
    return this.next();
  }

  /** Consumes the keyword `word` or throws a syntax error at the current token. */
  expectKeyword(word: string): Token {
    if (!this.atKeyword(word)) throw this.syntaxError();
    return this.next();
  }

  /** Throws a syntax error at the current token unless the expression has ended. */
  expectEnd(): void {
    if (this.peek().kind !== "eof") throw this.syntaxError();
  }

  /** Returns the syntax error for the current token, or for the token at `index`. */
  syntaxError(index = this.#position): DynamoDBError {
    return syntaxError(this.kind, this.source, this.tokens, index);
  }
}
