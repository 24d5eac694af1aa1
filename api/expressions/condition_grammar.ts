/**
 * The grammar of ConditionExpression, FilterExpression and KeyConditionExpression. Produces a
 * {@linkcode RawCondition}; placeholders and function names are checked afterwards by
 * `condition_parser.ts`.
 *
 * ```
 * condition  = or
 * or         = and [ OR or ]
 * and        = not [ AND and ]
 * not        = NOT not | primary
 * primary    = "(" condition ")"
 *            | operand comparator operand
 *            | operand BETWEEN operand AND operand
 *            | operand IN "(" operand { "," operand } ")"
 *            | call
 * operand    = "(" operand ")" | :value | call | path
 * call       = name "(" operand { "," operand } ")"
 * comparator = "=" | "<>" | "<" | "<=" | ">" | ">="
 * ```
 *
 * So NOT binds tighter than AND, and AND tighter than OR; AND and OR group to the right, as in
 * DynamoDB's grammar; keywords match in any letter case. A `(` that opens a primary is an operand
 * when its `)` is followed by a comparator, BETWEEN or IN (`(a) = b`), and a parenthesised
 * condition otherwise. A parenthesised group directly inside another is an error as soon as it
 * closes.
 *
 * @module
 */

import type { ExpressionKind } from "./expression_error.ts";
import { type Token, TokenStream } from "./lexer.ts";
import {
  parseArguments,
  parsePath,
  type RawCall,
  type RawCondition,
  type RawOperand,
} from "./syntax_tree.ts";

/** Words the condition grammar reserves for itself; they cannot be bare attribute names. */
const CONDITION_KEYWORDS: ReadonlySet<string> = new Set(["AND", "OR", "NOT", "BETWEEN", "IN"]);

const COMPARATORS = new Set(["=", "<>", "<", "<=", ">", ">="]);

/**
 * Parses `source` as a condition.
 *
 * @throws DynamoDBError ValidationException `Invalid <kind>: Syntax error; token: …, near: …` or
 * `Invalid <kind>: The expression has redundant parentheses;`.
 */
export function parseConditionSyntax(kind: ExpressionKind, source: string): RawCondition {
  const grammar = new ConditionGrammar(new TokenStream(kind, source));
  const condition = grammar.orCondition();
  grammar.stream.expectEnd();
  return condition;
}

class ConditionGrammar {
  readonly stream: TokenStream;

  constructor(stream: TokenStream) {
    this.stream = stream;
  }

  orCondition(): RawCondition {
    const left = this.andCondition();
    if (!this.stream.atKeyword("OR")) return left;
    this.stream.next();
    return { kind: "or", left, right: this.orCondition() };
  }

  andCondition(): RawCondition {
    const left = this.notCondition();
    if (!this.stream.atKeyword("AND")) return left;
    this.stream.next();
    return { kind: "and", left, right: this.andCondition() };
  }

  notCondition(): RawCondition {
    if (!this.stream.atKeyword("NOT")) return this.primaryCondition();
    this.stream.next();
    return { kind: "not", condition: this.notCondition() };
  }

  primaryCondition(): RawCondition {
    if (this.stream.atPunctuation("(") && !this.#parenthesesWrapOperand()) {
      return this.stream.parenthesized(() => this.orCondition());
    }
    const operand = this.operand();
    if (isComparator(this.stream.peek())) {
      const operator = this.stream.next().text as "=" | "<>" | "<" | "<=" | ">" | ">=";
      return { kind: "comparison", operator, left: operand, right: this.operand() };
    }
    if (this.stream.atKeyword("BETWEEN")) return this.#between(operand);
    if (this.stream.atKeyword("IN")) return this.#in(operand);
    if (operand.kind === "call") return { kind: "function", call: operand };
    throw this.stream.syntaxError();
  }

  #between(operand: RawOperand): RawCondition {
    this.stream.next();
    const lower = this.operand();
    this.stream.expectKeyword("AND");
    const upper = this.operand();
    return { kind: "between", operand, lower, upper };
  }

  #in(operand: RawOperand): RawCondition {
    this.stream.next();
    this.stream.expectPunctuation("(");
    const candidates = parseArguments(this.stream, () => this.operand());
    return { kind: "in", operand, candidates };
  }

  /** Whether the `(` at the current token closes before a comparator, BETWEEN or IN. */
  #parenthesesWrapOperand(): boolean {
    const closing = this.stream.closingParenthesis(this.stream.position);
    if (closing === -1) return false;
    const after = this.stream.tokens[closing + 1] as Token;
    return isComparator(after) || isKeyword(after, "BETWEEN") || isKeyword(after, "IN");
  }

  operand(): RawOperand {
    const token = this.stream.peek();
    if (token.kind === "punctuation" && token.text === "(") {
      return this.stream.parenthesized(() => this.operand());
    }
    if (token.kind === "value") {
      this.stream.next();
      return { kind: "value", placeholder: token.text };
    }
    const isName = token.kind === "identifier" && !CONDITION_KEYWORDS.has(token.text.toUpperCase());
    if (isName && this.stream.peek(1).kind === "punctuation" && this.stream.peek(1).text === "(") {
      return this.call();
    }
    return parsePath(this.stream, CONDITION_KEYWORDS);
  }

  call(): RawCall {
    const name = this.stream.next().text;
    this.stream.next();
    const callArguments = parseArguments(this.stream, () => this.operand());
    return { kind: "call", name, arguments: callArguments };
  }
}

function isComparator(token: Token): boolean {
  return token.kind === "punctuation" && COMPARATORS.has(token.text);
}

function isKeyword(token: Token, word: string): boolean {
  return token.kind === "identifier" && token.text.toUpperCase() === word;
}
