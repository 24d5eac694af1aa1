/**
 * The grammar of ConditionExpression, FilterExpression and KeyConditionExpression. Produces a
 * {@linkcode RawCondition}; placeholders and function names are checked afterwards by
 * `condition_parser.ts`.
 *
 * ```
 * condition  = or
 * or         = and { OR and }
 * and        = not { AND not }
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
 * So NOT binds tighter than AND, and AND tighter than OR; keywords match in any letter case. A
 * `(` that opens a primary is an operand when its `)` is followed by a comparator, BETWEEN or IN
 * (`(a) = b`), and a parenthesised condition otherwise.
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

/** A parsed condition with the counts DynamoDB limits. */
export interface ConditionSyntax {
  readonly condition: RawCondition;
  /** Comparisons, BETWEEN, IN, AND, OR and NOT; parentheses and function calls do not count. */
  readonly operatorCount: number;
  /** The largest operand count of any IN, including the operand left of IN; 0 without IN. */
  readonly inOperandCountMax: number;
}

/**
 * Parses `source` as a condition.
 *
 * @throws DynamoDBError ValidationException `Invalid <kind>: Syntax error; token: …, near: …`.
 */
export function parseConditionSyntax(kind: ExpressionKind, source: string): ConditionSyntax {
  const grammar = new ConditionGrammar(new TokenStream(kind, source));
  const condition = grammar.orCondition();
  grammar.stream.expectEnd();
  return {
    condition,
    operatorCount: grammar.operatorCount,
    inOperandCountMax: grammar.inOperandCountMax,
  };
}

class ConditionGrammar {
  readonly stream: TokenStream;
  operatorCount = 0;
  inOperandCountMax = 0;

  constructor(stream: TokenStream) {
    this.stream = stream;
  }

  orCondition(): RawCondition {
    let left = this.andCondition();
    while (this.stream.atKeyword("OR")) {
      this.stream.next();
      this.operatorCount++;
      left = { kind: "or", left, right: this.andCondition(), parentheses: 0 };
    }
    return left;
  }

  andCondition(): RawCondition {
    let left = this.notCondition();
    while (this.stream.atKeyword("AND")) {
      this.stream.next();
      this.operatorCount++;
      left = { kind: "and", left, right: this.notCondition(), parentheses: 0 };
    }
    return left;
  }

  notCondition(): RawCondition {
    if (!this.stream.atKeyword("NOT")) return this.primaryCondition();
    this.stream.next();
    this.operatorCount++;
    return { kind: "not", condition: this.notCondition(), parentheses: 0 };
  }

  primaryCondition(): RawCondition {
    if (this.stream.atPunctuation("(") && !this.#parenthesesWrapOperand()) {
      const count = this.stream.consumeParenthesisRun();
      const inner = this.orCondition();
      this.stream.expectClosingParentheses(count);
      inner.parentheses += count;
      return inner;
    }
    const operand = this.operand();
    if (isComparator(this.stream.peek())) {
      const operator = this.stream.next().text as "=" | "<>" | "<" | "<=" | ">" | ">=";
      this.operatorCount++;
      return { kind: "comparison", operator, left: operand, right: this.operand(), parentheses: 0 };
    }
    if (this.stream.atKeyword("BETWEEN")) return this.#between(operand);
    if (this.stream.atKeyword("IN")) return this.#in(operand);
    if (operand.kind === "call") return { kind: "function", call: operand, parentheses: 0 };
    throw this.stream.syntaxError();
  }

  #between(operand: RawOperand): RawCondition {
    this.stream.next();
    this.operatorCount++;
    const lower = this.operand();
    this.stream.expectKeyword("AND");
    const upper = this.operand();
    return { kind: "between", operand, lower, upper, parentheses: 0 };
  }

  #in(operand: RawOperand): RawCondition {
    this.stream.next();
    this.operatorCount++;
    this.stream.expectPunctuation("(");
    const candidates = parseArguments(this.stream, () => this.operand());
    this.inOperandCountMax = Math.max(this.inOperandCountMax, candidates.length + 1);
    return { kind: "in", operand, candidates, parentheses: 0 };
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
      const count = this.stream.consumeParenthesisRun();
      const inner = this.operand();
      this.stream.expectClosingParentheses(count);
      inner.parentheses += count;
      return inner;
    }
    if (token.kind === "value") {
      this.stream.next();
      return { kind: "value", placeholder: token.text, parentheses: 0 };
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
    return { kind: "call", name, arguments: callArguments, parentheses: 0 };
  }
}

function isComparator(token: Token): boolean {
  return token.kind === "punctuation" && COMPARATORS.has(token.text);
}

function isKeyword(token: Token, word: string): boolean {
  return token.kind === "identifier" && token.text.toUpperCase() === word;
}
