/**
 * Parses an UpdateExpression into an {@linkcode UpdateExpression}.
 *
 * ```
 * update    = section { section }
 * section   = SET set { "," set } | REMOVE path { "," path }
 *           | ADD path :value { "," path :value } | DELETE path :value { "," path :value }
 * set       = path "=" value
 * value     = "(" value ")" | operand [ ("+" | "-") operand ]
 * operand   = "(" operand ")" | :value | name "(" operand { "," operand } ")" | path
 * ```
 *
 * Section keywords match in any letter case and each section may appear once. Only two operands
 * can be added or subtracted (`:a + :b + :c` is a syntax error), and `+` cannot appear inside a
 * function argument. A syntax error is reported first. The semantic errors then rank as follows,
 * and within a rank the leftmost wins: reserved word, unknown function, function not allowed here,
 * repeated section, undefined `#name`, undefined `:value`, overlapping paths, conflicting paths,
 * wrong ADD/DELETE operand type, then the other function errors (operand count, operand type, a
 * value where a path is needed). This is dynalite's order, which was tested against DynamoDB.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import { validationError } from "../errors.ts";
import type { SetValue, UpdateAction, UpdateExpression, UpdateOperand } from "./ast.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import {
  FUNCTION_OPERAND_COUNTS,
  misusedFunctionMessage,
  operandCountMessage,
  operandTypeMessage,
  unknownFunctionMessage,
  UPDATE_FUNCTIONS,
} from "./functions.ts";
import type { DocumentPath } from "./document_path.ts";
import { checkExpressionText, expressionError } from "./expression_error.ts";
import { type Token, TokenStream } from "./lexer.ts";
import { resolvePath } from "./path_resolver.ts";
import { findPathClash } from "./projection.ts";
import { parseArguments, parsePath, type RawOperand, type RawPath } from "./syntax_tree.ts";

const SECTION_KEYWORDS: ReadonlySet<string> = new Set(["SET", "REMOVE", "ADD", "DELETE"]);

/** Type names in ADD and DELETE operand errors; set types are valid operands and have none. */
const ADD_DELETE_TYPE_NAMES: Readonly<Record<string, string>> = {
  S: "STRING",
  N: "NUMBER",
  B: "BINARY",
  NULL: "NULL",
  BOOL: "BOOLEAN",
  L: "LIST",
  M: "MAP",
};

type RawSetValue =
  | { readonly kind: "operand"; readonly operand: RawOperand }
  | { readonly kind: "plus" | "minus"; readonly left: RawOperand; readonly right: RawOperand };

type RawUpdateAction =
  | { readonly kind: "set"; readonly path: RawPath; readonly value: RawSetValue }
  | { readonly kind: "remove"; readonly path: RawPath }
  | { readonly kind: "add" | "delete"; readonly path: RawPath; readonly placeholder: string };

/**
 * Parses an UpdateExpression, resolving its placeholders through `attributes`.
 *
 * @throws DynamoDBError ValidationException `Invalid UpdateExpression: …` with DynamoDB's message.
 */
export function parseUpdate(text: string, attributes: ExpressionAttributes): UpdateExpression {
  const kind = "UpdateExpression";
  checkExpressionText(kind, text);
  const grammar = new UpdateGrammar(new TokenStream(kind, text));
  const rawActions = grammar.parse();
  const resolver = new UpdateResolver(attributes);
  if (grammar.repeatedSection !== undefined) {
    resolver.errors.section = `The "${grammar.repeatedSection}" section can only be used once ` +
      "in an update expression;";
  }
  const actions = rawActions.map((action) => resolver.action(action));
  const clash = findPathClash(actions.map((action) => action.path));
  if (clash !== undefined) resolver.record(clash.relation, clash.message);
  const message = resolver.firstError();
  if (message !== undefined) throw expressionError(kind, message);
  return { actions };
}

/**
 * Throws DynamoDB's error when an update changes a key attribute, at any depth. Key attributes are
 * checked in `keyAttributeNames` order (partition key first).
 *
 * @throws DynamoDBError ValidationException `One or more parameter values were invalid: Cannot
 * update attribute <a>. This attribute is part of the key`.
 */
export function assertKeyAttributesUnchanged(
  update: UpdateExpression,
  keyAttributeNames: readonly string[],
): void {
  for (const name of keyAttributeNames) {
    if (update.actions.some((action) => action.path[0] === name)) {
      throw validationError(
        `One or more parameter values were invalid: Cannot update attribute ${name}. ` +
          "This attribute is part of the key",
      );
    }
  }
}

class UpdateGrammar {
  readonly stream: TokenStream;
  readonly #sections = new Set<string>();
  /** The first section keyword (upper case) written twice. */
  repeatedSection?: string;

  constructor(stream: TokenStream) {
    this.stream = stream;
  }

  parse(): RawUpdateAction[] {
    const actions: RawUpdateAction[] = [];
    do {
      const token = this.stream.peek();
      const section = token.kind === "identifier" ? token.text.toUpperCase() : "";
      if (!SECTION_KEYWORDS.has(section)) throw this.stream.syntaxError();
      this.stream.next();
      if (this.#sections.has(section)) this.repeatedSection ??= section;
      this.#sections.add(section);
      actions.push(this.#action(section));
      while (this.stream.atPunctuation(",")) {
        this.stream.next();
        actions.push(this.#action(section));
      }
    } while (this.stream.peek().kind !== "eof");
    return actions;
  }

  #action(section: string): RawUpdateAction {
    const path = parsePath(this.stream, SECTION_KEYWORDS);
    switch (section) {
      case "SET":
        this.stream.expectPunctuation("=");
        return { kind: "set", path, value: this.#setValue() };
      case "REMOVE":
        return { kind: "remove", path };
      default: {
        const token = this.stream.peek();
        if (token.kind !== "value") throw this.stream.syntaxError();
        this.stream.next();
        return { kind: section === "ADD" ? "add" : "delete", path, placeholder: token.text };
      }
    }
  }

  #setValue(): RawSetValue {
    if (this.stream.atPunctuation("(") && !this.#parenthesesWrapOperand()) {
      const count = this.stream.consumeParenthesisRun();
      const inner = this.#setValue();
      this.stream.expectClosingParentheses(count);
      return inner;
    }
    const left = this.#operand();
    if (this.stream.atPunctuation("+") || this.stream.atPunctuation("-")) {
      const kind = this.stream.next().text === "+" ? "plus" : "minus";
      return { kind, left, right: this.#operand() };
    }
    return { kind: "operand", operand: left };
  }

  /** Whether the `(` at the current token closes right before `+` or `-`. */
  #parenthesesWrapOperand(): boolean {
    const closing = this.stream.closingParenthesis(this.stream.position);
    const after = closing === -1 ? undefined : this.stream.tokens[closing + 1] as Token;
    return after?.kind === "punctuation" && (after.text === "+" || after.text === "-");
  }

  #operand(): RawOperand {
    const token = this.stream.peek();
    if (token.kind === "punctuation" && token.text === "(") {
      const count = this.stream.consumeParenthesisRun();
      const inner = this.#operand();
      this.stream.expectClosingParentheses(count);
      return inner;
    }
    if (token.kind === "value") {
      this.stream.next();
      return { kind: "value", placeholder: token.text, parentheses: 0 };
    }
    const next = this.stream.peek(1);
    const isName = token.kind === "identifier" && !SECTION_KEYWORDS.has(token.text.toUpperCase());
    if (isName && next.kind === "punctuation" && next.text === "(") {
      this.stream.next();
      this.stream.next();
      const callArguments = parseArguments(this.stream, () => this.#operand());
      return { kind: "call", name: token.text, arguments: callArguments, parentheses: 0 };
    }
    return parsePath(this.stream, SECTION_KEYWORDS);
  }
}

type ErrorRank =
  | "reserved"
  | "unknownFunction"
  | "misusedFunction"
  | "section"
  | "undefinedName"
  | "undefinedValue"
  | "overlap"
  | "conflict"
  | "operand"
  | "function";

const ERROR_RANKS: readonly ErrorRank[] = [
  "reserved",
  "unknownFunction",
  "misusedFunction",
  "section",
  "undefinedName",
  "undefinedValue",
  "overlap",
  "conflict",
  "operand",
  "function",
];

/** A placeholder for operands whose resolution failed; never returned to callers. */
const UNRESOLVED: UpdateOperand = { kind: "value", value: { NULL: true } };

class UpdateResolver {
  readonly #attributes: ExpressionAttributes;
  readonly errors: Partial<Record<ErrorRank, string>> = {};

  constructor(attributes: ExpressionAttributes) {
    this.#attributes = attributes;
  }

  record(rank: ErrorRank, message: string): void {
    this.errors[rank] ??= message;
  }

  firstError(): string | undefined {
    for (const rank of ERROR_RANKS) {
      const message = this.errors[rank];
      if (message !== undefined) return message;
    }
    return undefined;
  }

  action(raw: RawUpdateAction): UpdateAction {
    const path = this.#path(raw.path);
    switch (raw.kind) {
      case "set":
        return { kind: "set", path, value: this.#setValue(raw.value) };
      case "remove":
        return { kind: "remove", path };
      default: {
        const value = this.#value(raw.placeholder);
        if (value !== undefined) this.#checkAddDeleteOperand(raw.kind, value);
        return { kind: raw.kind, path, value: value ?? { NULL: true } };
      }
    }
  }

  /**
   * ADD takes a number or a set, DELETE a set. DynamoDB names the allowed types after the
   * action (`typeSet: ALLOWED_FOR_DELETE_OPERAND`, as in a DELETE error reported from DynamoDB).
   */
  #checkAddDeleteOperand(kind: "add" | "delete", value: AttributeValue): void {
    const typeName = ADD_DELETE_TYPE_NAMES[typeOf(value)];
    if (typeName === undefined || (kind === "add" && "N" in value)) return;
    const action = kind.toUpperCase();
    this.record(
      "operand",
      "Incorrect operand type for operator or function; " +
        `operator: ${action}, operand type: ${typeName}, typeSet: ALLOWED_FOR_${action}_OPERAND`,
    );
  }

  #setValue(raw: RawSetValue): SetValue {
    if (raw.kind === "operand") return { kind: "operand", operand: this.#operand(raw.operand) };
    const left = this.#operand(raw.left);
    const right = this.#operand(raw.right);
    const operator = raw.kind === "plus" ? "+" : "-";
    for (const side of [left, right]) this.#checkConstantType(operator, side, "N");
    return { kind: raw.kind, left, right };
  }

  #operand(raw: RawOperand, insideListAppend = false): UpdateOperand {
    if (raw.kind === "value") {
      const value = this.#value(raw.placeholder);
      return value === undefined ? UNRESOLVED : { kind: "value", value };
    }
    if (raw.kind === "path") return { kind: "path", path: this.#path(raw) };
    const callArguments = raw.arguments.map((argument) =>
      this.#operand(argument, raw.name === "list_append")
    );
    const expected = FUNCTION_OPERAND_COUNTS.get(raw.name);
    if (expected === undefined) {
      this.record("unknownFunction", unknownFunctionMessage(raw.name));
      return UNRESOLVED;
    }
    if (!UPDATE_FUNCTIONS.has(raw.name)) {
      // NOTE: DynamoDB's message for a condition function in an update is inferred from the
      // reverse case (if_not_exists in a condition), which ScyllaDB's tests observed.
      this.record("misusedFunction", misusedFunctionMessage(raw.name));
      return UNRESOLVED;
    }
    if (callArguments.length !== expected) {
      this.record("function", operandCountMessage(raw.name, callArguments.length));
      return UNRESOLVED;
    }
    const [first, second] = callArguments as [UpdateOperand, UpdateOperand];
    if (raw.name === "list_append") {
      // DynamoDB rejects list_append nested in list_append (observed by ScyllaDB's tests).
      if (insideListAppend) this.record("misusedFunction", misusedFunctionMessage("list_append"));
      for (const side of [first, second]) this.#checkConstantType("list_append", side, "L");
      return { kind: "list_append", first, second };
    }
    if (first.kind !== "path") {
      this.record(
        "function",
        "Operator or function requires a document path; operator or function: if_not_exists",
      );
      return UNRESOLVED;
    }
    return { kind: "if_not_exists", path: first.path, fallback: second };
  }

  /** `+` and `-` take numbers and list_append takes lists; a constant of another type fails. */
  #checkConstantType(operator: string, operand: UpdateOperand, expected: string): void {
    if (operand.kind !== "value" || operand === UNRESOLVED) return;
    const type = typeOf(operand.value);
    if (type !== expected) this.record("function", operandTypeMessage(operator, type));
  }

  #value(placeholder: string): AttributeValue | undefined {
    const value = this.#attributes.resolveValue(placeholder);
    if (value === undefined) {
      this.record(
        "undefinedValue",
        "An expression attribute value used in expression is not defined; attribute value: " +
          placeholder,
      );
    }
    return value;
  }

  #path(raw: RawPath): DocumentPath {
    const resolved = resolvePath(raw, this.#attributes);
    if (resolved.reservedWord !== undefined) {
      this.record(
        "reserved",
        `Attribute name is a reserved keyword; reserved keyword: ${resolved.reservedWord}`,
      );
    }
    if (resolved.undefinedName !== undefined) {
      this.record(
        "undefinedName",
        "An expression attribute name used in the document path is not defined; attribute name: " +
          resolved.undefinedName,
      );
    }
    return resolved.path;
  }
}
