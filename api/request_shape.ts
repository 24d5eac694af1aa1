/**
 * Checks the JSON shape of a request body against an operation's parameter model, the way
 * DynamoDB's request layer does before any operation logic runs.
 *
 * Two passes, in DynamoDB's order:
 * 1. Types. A value of the wrong JSON type is a `SerializationException` whose message comes from
 *    DynamoDB's Java deserializer (for example `class java.lang.Integer can not be converted to an
 *    String`, or `Start of structure or map found where not expected.`). Unknown members are
 *    ignored and JSON `null` counts as absent.
 * 2. Constraints (required members, lengths, ranges, patterns, enums). Every failure is collected
 *    (at most 10) into one `ValidationException`: `N validation error(s) detected: Value '<v>' at
 *    '<path>' failed to satisfy constraint: <rule>; ...`.
 *
 * Attribute values are only type-checked as JSON objects here; `validation.ts` checks their
 * content.
 *
 * @module
 */

import { serializationError, validationError } from "./errors.ts";

/** The model of one parameter. */
export type Shape =
  | ScalarShape
  | { type: "List"; member: Shape; constraints?: Constraints }
  | { type: "Map"; value: Shape; constraints?: Constraints }
  | { type: "Structure"; members: Record<string, Shape>; constraints?: Constraints }
  /** An AttributeValue or a map of them: only checked to be a JSON object here. */
  | { type: "Object"; constraints?: Constraints };

/** A shape without children. */
export interface ScalarShape {
  type: "String" | "Integer" | "Long" | "Double" | "Boolean" | "Blob";
  constraints?: Constraints;
}

/** Modelled constraints, checked in pass 2. */
export interface Constraints {
  /**
   * The top-level member must be present; checked before everything else and reported alone as
   * `The paramater '<name>' is required but was not present in the request` (DynamoDB's spelling).
   */
  required?: boolean;
  /** Must be present; reported with the other constraint failures as `Member must not be null`. */
  notNull?: boolean;
  /** A table name: 3 to 255 characters, reported alone, before other constraint failures. */
  tableName?: boolean;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  pattern?: string;
  enumValues?: readonly string[];
}

/** The top-level members of an operation's input. */
export type OperationModel = Record<string, Shape>;

/** Maximum number of constraint failures DynamoDB lists in one message. */
const MAX_REPORTED_FAILURES = 10;

/**
 * Checks `body` against `model`, returning the body with `null` members removed.
 * Throws `SerializationException` or `ValidationException` as DynamoDB does.
 */
export function checkRequestShape(
  body: Record<string, unknown>,
  model: OperationModel,
): Record<string, unknown> {
  const cleaned = checkStructureTypes(body, model);
  const members = modelMembers(model);
  for (const { name, shape } of members) {
    const value = cleaned[name];
    if (shape.constraints?.required && value === undefined) {
      throw validationError(
        `The paramater '${lowerFirst(name)}' is required but was not present in the request`,
      );
    }
    if (shape.constraints?.tableName && typeof value === "string" && !isTableArn(value)) {
      if (value.length < 3 || value.length > 255) {
        throw validationError(
          `${name} must be at least 3 characters long and at most 255 characters long`,
        );
      }
    }
  }
  const failures: string[] = [];
  for (const { name, shape, path } of members) {
    checkConstraints(cleaned[name], shape, path, failures);
  }
  if (failures.length > 0) {
    const count = failures.length;
    throw validationError(
      `${count} validation error${count > 1 ? "s" : ""} detected: ${failures.join("; ")}`,
    );
  }
  return cleaned;
}

/** A top-level member of a model, with its path as constraint messages show it. */
interface ModelMember {
  name: string;
  shape: Shape;
  path: string;
}

/** Members of each model, computed once per model (models are module constants). */
const membersByModel = new WeakMap<OperationModel, ModelMember[]>();

function modelMembers(model: OperationModel): ModelMember[] {
  let members = membersByModel.get(model);
  if (members === undefined) {
    members = Object.entries(model).map(([name, shape]) => ({
      name,
      shape,
      path: lowerFirst(name),
    }));
    membersByModel.set(model, members);
  }
  return members;
}

function checkStructureTypes(
  value: Record<string, unknown>,
  members: Record<string, Shape>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    const shape = members[name];
    if (shape === undefined || member === null || member === undefined) continue;
    result[name] = checkType(member, shape);
  }
  return result;
}

function checkType(value: unknown, shape: Shape): unknown {
  switch (shape.type) {
    case "String":
      return checkString(value);
    case "Blob":
      return checkBlob(value);
    case "Boolean":
      return checkBoolean(value);
    case "Integer":
    case "Long":
    case "Double":
      return checkNumber(value, shape.type);
    case "List": {
      if (!Array.isArray(value)) throw notExpected(value, "Expected list or null");
      return value.map((element) => element === null ? null : checkType(element, shape.member));
    }
    case "Map": {
      const map = checkObject(value, "Expected map or null");
      const result: Record<string, unknown> = {};
      for (const [key, element] of Object.entries(map)) {
        if (element !== null) result[key] = checkType(element, shape.value);
      }
      return result;
    }
    case "Structure":
      return checkStructureTypes(checkObject(value, "Expected null"), shape.members);
    case "Object":
      return checkObject(value, "Expected null");
  }
}

function checkString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") {
    throw serializationError("class java.lang.Boolean can not be converted to an String");
  }
  if (typeof value === "number") {
    throw serializationError(`class ${javaNumberClass(value)} can not be converted to an String`);
  }
  throw structureNotExpected(value);
}

function checkBlob(value: unknown): string {
  if (typeof value !== "string") {
    if (typeof value === "boolean") {
      throw serializationError("class java.lang.Boolean can not be converted to a Blob");
    }
    if (typeof value === "number") {
      throw serializationError(`class ${javaNumberClass(value)} can not be converted to a Blob`);
    }
    throw structureNotExpected(value);
  }
  return value;
}

function checkBoolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    throw serializationError(`'${value.toUpperCase()}' can not be converted to an Boolean`);
  }
  if (typeof value === "number") {
    const javaClass = javaNumberClass(value);
    // DynamoDB's deserializer accepts fractional numbers as booleans (|x| >= 1 is true).
    if (javaClass === "java.lang.Double") return Math.abs(value) >= 1;
    throw serializationError(`class ${javaClass} can not be converted to an Boolean`);
  }
  throw structureNotExpected(value);
}

function checkNumber(value: unknown, type: "Integer" | "Long" | "Double"): number {
  if (typeof value === "number") return type === "Double" ? value : Math.floor(value);
  if (typeof value === "boolean") {
    throw serializationError(`class java.lang.Boolean can not be converted to an ${type}`);
  }
  if (typeof value === "string") {
    throw serializationError(`class java.lang.String can not be converted to an ${type}`);
  }
  throw structureNotExpected(value);
}

function checkObject(value: unknown, scalarMessage: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw serializationError(scalarMessage);
  if (Array.isArray(value)) throw serializationError("Start of list found where not expected");
  return value as Record<string, unknown>;
}

function structureNotExpected(value: unknown): Error {
  return notExpected(value, "Start of structure or map found where not expected.");
}

function notExpected(value: unknown, message: string): Error {
  if (Array.isArray(value)) return serializationError("Start of list found where not expected");
  if (typeof value === "object" && value !== null) {
    return serializationError("Start of structure or map found where not expected.");
  }
  return serializationError(message);
}

/** Returns the Java class DynamoDB's deserializer reports for a JSON number. */
function javaNumberClass(value: number): string {
  if (!Number.isInteger(value)) return "java.lang.Double";
  if (value >= -32768 && value <= 32767) return "java.lang.Short";
  if (value >= -2147483648 && value <= 2147483647) return "java.lang.Integer";
  return "java.lang.Long";
}

function checkConstraints(value: unknown, shape: Shape, path: string, failures: string[]): void {
  if (failures.length >= MAX_REPORTED_FAILURES || !hasConstraints(shape)) return;
  const constraints = shape.constraints ?? {};
  if (value === undefined || value === null) {
    if (constraints.notNull) failures.push(describeFailure(null, path, "Member must not be null"));
    return;
  }
  if (constraints.tableName && typeof value === "string" && isTableArn(value)) return;
  for (const rule of violatedRules(value, constraints)) {
    if (failures.length >= MAX_REPORTED_FAILURES) return;
    failures.push(describeFailure(value, path, rule));
  }
  if (shape.type === "Structure") {
    for (const [name, member] of Object.entries(shape.members)) {
      const child = (value as Record<string, unknown>)[name];
      checkConstraints(child, member, `${path}.${lowerFirst(name)}`, failures);
    }
  } else if (shape.type === "List") {
    (value as unknown[]).forEach((element, index) => {
      checkConstraints(element, shape.member, `${path}.${index + 1}.member`, failures);
    });
  } else if (shape.type === "Map") {
    for (const [key, element] of Object.entries(value as Record<string, unknown>)) {
      checkConstraints(element, shape.value, `${path}.${key}.member`, failures);
    }
  }
}

function violatedRules(value: unknown, constraints: Constraints): string[] {
  const rules: string[] = [];
  const length = lengthOf(value);
  if (constraints.minLength !== undefined && length !== undefined) {
    if (length < constraints.minLength) {
      rules.push(`Member must have length greater than or equal to ${constraints.minLength}`);
    }
  }
  if (constraints.maxLength !== undefined && length !== undefined) {
    if (length > constraints.maxLength) {
      rules.push(`Member must have length less than or equal to ${constraints.maxLength}`);
    }
  }
  if (typeof value === "number") {
    if (constraints.minValue !== undefined && value < constraints.minValue) {
      rules.push(`Member must have value greater than or equal to ${constraints.minValue}`);
    }
    if (constraints.maxValue !== undefined && value > constraints.maxValue) {
      rules.push(`Member must have value less than or equal to ${constraints.maxValue}`);
    }
  }
  if (typeof value === "string") {
    if (constraints.pattern !== undefined && !patternRegExp(constraints.pattern).test(value)) {
      rules.push(`Member must satisfy regular expression pattern: ${constraints.pattern}`);
    }
    if (constraints.enumValues !== undefined && !constraints.enumValues.includes(value)) {
      rules.push(`Member must satisfy enum value set: [${constraints.enumValues.join(", ")}]`);
    }
  }
  return rules;
}

/** Compiled `pattern` constraints; a model has a handful, compiled once each. */
const patternRegExps = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let compiled = patternRegExps.get(pattern);
  if (compiled === undefined) {
    compiled = new RegExp(`^${pattern}$`);
    patternRegExps.set(pattern, compiled);
  }
  return compiled;
}

/** Whether `shape` or a shape inside it has constraints, by shape (models are static). */
const constrainedShapes = new WeakMap<Shape, boolean>();

/** Returns whether any shape reachable from `shape` has a constraint to check. */
function hasConstraints(shape: Shape): boolean {
  let result = constrainedShapes.get(shape);
  if (result === undefined) {
    result = reachesConstraint(shape, new Set());
    constrainedShapes.set(shape, result);
  }
  return result;
}

function reachesConstraint(shape: Shape, visited: Set<Shape>): boolean {
  if (visited.has(shape)) return false;
  visited.add(shape);
  if (shape.constraints !== undefined && Object.keys(shape.constraints).length > 0) return true;
  switch (shape.type) {
    case "List":
      return reachesConstraint(shape.member, visited);
    case "Map":
      return reachesConstraint(shape.value, visited);
    case "Structure":
      return Object.values(shape.members).some((member) => reachesConstraint(member, visited));
    default:
      return false;
  }
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (typeof value === "object" && value !== null) return Object.keys(value).length;
  return undefined;
}

function describeFailure(value: unknown, path: string, rule: string): string {
  const shown = value === null ? "null" : `'${displayValue(value)}'`;
  return `Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`;
}

/** Renders a value the way DynamoDB's validator prints it in constraint messages. */
function displayValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(displayValue).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, element]) =>
      `${key}=${displayValue(element)}`
    );
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

/**
 * Returns whether a table name parameter contains a table ARN, which DynamoDB accepts in place of the name
 * (up to 1024 characters).
 */
function isTableArn(value: string): boolean {
  return value.startsWith("arn:") && value.length <= 1024 && value.includes(":table/");
}

/** `TableName` → `tableName`, as DynamoDB names members in messages. */
export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}
