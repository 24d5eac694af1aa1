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
 * Section keywords match in any letter case. Only two operands can be added or subtracted
 * (`:a + :b + :c` is a syntax error), and `+` cannot appear inside a function argument.
 *
 * The checks run in DynamoDB's order (that of DynamoDB Local, which shares DynamoDB's expression
 * code): the grammar (syntax errors, redundant parentheses); then a walk in reading order over
 * reserved words, list indexes, function names and places, and a section written twice (reported
 * at the end of its second occurrence); then, taking the actions from the last to the first,
 * each target path (depth, `#name` placeholders, overlap or conflict with the targets already
 * taken); then, again from the last action to the first, each action's value children first
 * (undefined placeholders, operand count, operand types, repeated operand, a value where a path
 * is needed, operator count) followed by the ADD or DELETE operand type.
 *
 * @module
 */

import { type AttributeValue, typeOf } from "../attribute_value.ts";
import { validationError } from "../errors.ts";
import type { SetValue, UpdateAction, UpdateExpression, UpdateOperand } from "./ast.ts";
import type { ExpressionAttributes } from "./attributes.ts";
import { checkExpressionText, expressionError } from "./expression_error.ts";
import { type CheckedOperand, ExpressionValidator } from "./expression_validator.ts";
import { checkPathWords, walkOperand } from "./expression_walk.ts";
import { type Token, TokenStream } from "./lexer.ts";
import { PathTree } from "./path_tree.ts";
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

const NUMBER_TYPE: ReadonlySet<string> = new Set(["N"]);
const LIST_TYPE: ReadonlySet<string> = new Set(["L"]);

type RawSetValue =
  | { readonly kind: "operand"; readonly operand: RawOperand }
  | { readonly kind: "plus" | "minus"; readonly left: RawOperand; readonly right: RawOperand };

type RawUpdateAction =
  | { readonly kind: "set"; readonly path: RawPath; readonly value: RawSetValue }
  | { readonly kind: "remove"; readonly path: RawPath }
  | { readonly kind: "add" | "delete"; readonly path: RawPath; readonly placeholder: string };

interface RawSection {
  /** The section keyword in upper case. */
  readonly keyword: string;
  readonly actions: readonly RawUpdateAction[];
}

/**
 * Parses an UpdateExpression, resolving its placeholders through `attributes`.
 *
 * @throws DynamoDBError ValidationException `Invalid UpdateExpression: …` with DynamoDB's message.
 */
export function parseUpdate(text: string, attributes: ExpressionAttributes): UpdateExpression {
  const kind = "UpdateExpression";
  checkExpressionText(kind, text);
  const sections = new UpdateGrammar(new TokenStream(kind, text)).parse();
  walkSections(sections);

  const rawActions = sections.flatMap((section) => section.actions);
  const validator = new ExpressionValidator(kind, attributes);
  const tree = new PathTree();
  const paths = new Array<UpdateAction["path"]>(rawActions.length);
  for (let index = rawActions.length - 1; index >= 0; index--) {
    const path = validator.path((rawActions[index] as RawUpdateAction).path);
    const clash = tree.add(path);
    if (clash !== undefined) throw validator.error(clash);
    paths[index] = path;
  }
  const resolver = new ValueResolver(validator);
  const actions = new Array<UpdateAction>(rawActions.length);
  for (let index = rawActions.length - 1; index >= 0; index--) {
    const raw = rawActions[index] as RawUpdateAction;
    actions[index] = resolver.action(raw, paths[index] as UpdateAction["path"]);
  }
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

  constructor(stream: TokenStream) {
    this.stream = stream;
  }

  parse(): RawSection[] {
    const sections: RawSection[] = [];
    do {
      const token = this.stream.peek();
      const keyword = token.kind === "identifier" ? token.text.toUpperCase() : "";
      if (!SECTION_KEYWORDS.has(keyword)) throw this.stream.syntaxError();
      this.stream.next();
      const actions = [this.#action(keyword)];
      while (this.stream.atPunctuation(",")) {
        this.stream.next();
        actions.push(this.#action(keyword));
      }
      sections.push({ keyword, actions });
    } while (this.stream.peek().kind !== "eof");
    return sections;
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
      return this.stream.parenthesized(() => this.#setValue());
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
      return this.stream.parenthesized(() => this.#operand());
    }
    if (token.kind === "value") {
      this.stream.next();
      return { kind: "value", placeholder: token.text };
    }
    const next = this.stream.peek(1);
    const isName = token.kind === "identifier" && !SECTION_KEYWORDS.has(token.text.toUpperCase());
    if (isName && next.kind === "punctuation" && next.text === "(") {
      this.stream.next();
      this.stream.next();
      const callArguments = parseArguments(this.stream, () => this.#operand());
      return { kind: "call", name: token.text, arguments: callArguments };
    }
    return parsePath(this.stream, SECTION_KEYWORDS);
  }
}

/**
 * Walks the sections in reading order: each action's target and value, then, at the end of each
 * section, whether that section was written before.
 */
function walkSections(sections: readonly RawSection[]): void {
  const kind = "UpdateExpression";
  const seen = new Set<string>();
  for (const section of sections) {
    for (const action of section.actions) {
      checkPathWords(kind, action.path);
      if (action.kind !== "set") continue;
      if (action.value.kind === "operand") {
        walkOperand(kind, action.value.operand, "update", 0);
      } else {
        walkOperand(kind, action.value.left, "update", 1);
        walkOperand(kind, action.value.right, "update", 1);
      }
    }
    if (seen.has(section.keyword)) {
      throw expressionError(
        kind,
        `The "${section.keyword}" section can only be used once in an update expression;`,
      );
    }
    seen.add(section.keyword);
  }
}

type CheckedUpdateOperand = CheckedOperand<UpdateOperand>;

/** Resolves and checks the values of actions whose target paths are already resolved. */
class ValueResolver {
  readonly #validator: ExpressionValidator;

  constructor(validator: ExpressionValidator) {
    this.#validator = validator;
  }

  action(raw: RawUpdateAction, path: UpdateAction["path"]): UpdateAction {
    switch (raw.kind) {
      case "set":
        return { kind: "set", path, value: this.#setValue(raw.value) };
      case "remove":
        return { kind: "remove", path };
      default: {
        const value = this.#validator.value(raw.placeholder);
        this.#checkAddDeleteOperand(raw.kind, value);
        return { kind: raw.kind, path, value };
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
    throw this.#validator.error(
      "Incorrect operand type for operator or function; " +
        `operator: ${action}, operand type: ${typeName}, typeSet: ALLOWED_FOR_${action}_OPERAND`,
    );
  }

  #setValue(raw: RawSetValue): SetValue {
    if (raw.kind === "operand") {
      return { kind: "operand", operand: this.#operand(raw.operand).operand };
    }
    const operands = [this.#operand(raw.left), this.#operand(raw.right)];
    this.#validator.checkOperandTypes(raw.kind === "plus" ? "+" : "-", operands, NUMBER_TYPE);
    this.#validator.countOperator();
    const [left, right] = operands as [CheckedUpdateOperand, CheckedUpdateOperand];
    return { kind: raw.kind, left: left.operand, right: right.operand };
  }

  /** Resolves an operand; a call here is if_not_exists or list_append, as the walk ensured. */
  #operand(raw: RawOperand): CheckedUpdateOperand {
    if (raw.kind !== "call") return this.#validator.leaf(raw);
    const operands = raw.arguments.map((argument) => this.#operand(argument));
    const name = raw.name;
    this.#validator.checkOperandCount(name, operands.length);
    const [first, second] = operands as [CheckedUpdateOperand, CheckedUpdateOperand];
    if (name === "list_append") {
      this.#validator.checkOperandTypes(name, operands, LIST_TYPE);
      this.#validator.countOperator();
      return {
        operand: { kind: "list_append", first: first.operand, second: second.operand },
        staticType: "L",
      };
    }
    this.#validator.checkDistinct(name, operands);
    if (first.path === undefined) {
      throw this.#validator.error(
        `Operator or function requires a document path; operator or function: ${name}`,
      );
    }
    this.#validator.countOperator();
    return { operand: { kind: "if_not_exists", path: first.path, fallback: second.operand } };
  }
}
