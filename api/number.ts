/**
 * DynamoDB numbers: parsing, validation, canonical form, comparison and exact arithmetic.
 *
 * A DynamoDB number is a decimal with at most 38 significant digits whose magnitude is zero or lies
 * in 1E-130 … 9.9999999999999999999999999999999999999E+125. Called by request validation (every
 * `N` and `NS` element), by the expression evaluator (comparisons, `SET a = a + :v`, `ADD`) and by
 * key encoding. Runs on the request path; pure functions, no state.
 *
 * Accepted text, as DynamoDB accepts it: an optional `+` or `-`, digits with an optional decimal
 * point (`1.`, `.5` and `0001.23` are fine), then an optional exponent `e`/`E` with an optional
 * sign. No spaces, no `NaN`, no `Infinity`, no hexadecimal.
 *
 * Canonical form (what DynamoDB returns for a stored number): plain positional notation, never an
 * exponent; no leading zeros except a single `0` before the decimal point; no trailing zeros after
 * the decimal point and no point when the fraction is empty; `-` only for negative non-zero values,
 * never `+`. So `1e3` becomes `1000`, `0.10` becomes `0.1`, `-0` becomes `0`, `+5` becomes `5`,
 * `00042` becomes `42`, `1.5E2` becomes `150` and `1e-3` becomes `0.001`. These outputs were
 * observed on DynamoDB and are recorded in ScyllaDB's Alternator test suite
 * (`test/alternator/test_number.py`) and in boto3's bug tracker, where `1e100` comes back as a 1
 * followed by 100 zeros.
 *
 * @module
 */

import { Decimal } from "decimal.js";
import { validationError } from "./errors.ts";

/** Maximum number of significant decimal digits in a DynamoDB number. */
export const NUMBER_SIGNIFICANT_DIGITS_MAX = 38;
/** Largest decimal exponent (of the leading digit, scientific notation) a number may have. */
export const NUMBER_EXPONENT_MAX = 125;
/** Smallest decimal exponent (of the leading digit, scientific notation) a number may have. */
export const NUMBER_EXPONENT_MIN = -130;

/**
 * A decimal.js clone with enough precision that arithmetic on two DynamoDB numbers never rounds:
 * a sum spans at most 125 + 130 + 1 digit positions plus a carry, far below 1000 digits. The
 * exponent limits are wide enough that no sum or difference of two valid numbers becomes Infinity
 * or zero by overflow or underflow.
 */
export const DynamoDecimal = Decimal.clone({
  precision: 1000,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
  minE: -9e15,
  maxE: 9e15,
});

/** Instance type of {@linkcode DynamoDecimal}. */
export type DynamoDecimal = InstanceType<typeof DynamoDecimal>;

const NUMBER_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A number split into sign, significant digits and exponent: the value is
 * `(negative ? -1 : 1) × 0.d1d2…dn × 10^(exponent + 1)`, that is `d1.d2…dn × 10^exponent`.
 */
export interface NumberParts {
  /** True for negative non-zero values. Zero is never negative. */
  negative: boolean;
  /** Significant digits without leading or trailing zeros; empty for zero. */
  digits: string;
  /** Decimal exponent of the first significant digit (scientific notation); 0 for zero. */
  exponent: number;
}

/**
 * Which of DynamoDB's two request-checking layers words the errors. They differ for numbers:
 * - `"current"` (PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem, Query): an exponent that
 *   fits a 64-bit integer is range-checked exactly, so `1e2147483647` is an overflow, and an empty
 *   string gets `The parameter cannot be converted to a numeric value: ` with the colon.
 * - `"older"` (BatchWriteItem, TransactWriteItems, TransactGetItems, Scan): the number is read as
 *   Java's BigDecimal reads it. An exponent outside a 32-bit integer cannot be converted, the
 *   magnitude check computes precision minus scale in wrapping 32-bit arithmetic (so
 *   `1e2147483647` is an underflow), and an empty string gets the message without a colon.
 *
 * Recorded against DynamoDB in four regions in October 2026 by the dynamodb-conformance project
 * (paritysuite), `tests/tier3/error-messages/valueLayers.test.ts`.
 */
export type NumberMessageStyle = "current" | "older";

const NOT_NUMERIC_MESSAGE = "The parameter cannot be converted to a numeric value";
const OVERFLOW_MESSAGE =
  "Number overflow. Attempting to store a number with magnitude larger than supported range";
const UNDERFLOW_MESSAGE =
  "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const PRECISION_MESSAGE = "Attempting to store more than 38 significant digits in a Number";

const INT32_MAX = 2n ** 31n - 1n;
const INT64_MAX = 2n ** 63n - 1n;

/** Text of the error for a string that is not a number. */
function notNumericMessage(text: string, style: NumberMessageStyle): string {
  if (text === "" && style === "older") return NOT_NUMERIC_MESSAGE;
  return `${NOT_NUMERIC_MESSAGE}: ${text}`;
}

/**
 * Splits number text into {@linkcode NumberParts} and checks DynamoDB's limits, in DynamoDB's
 * order: syntax, overflow, underflow, then precision.
 *
 * @throws DynamoDBError ValidationException with DynamoDB's message in the given style.
 */
export function parseNumberParts(
  text: string,
  style: NumberMessageStyle = "current",
): NumberParts {
  const match = NUMBER_PATTERN.exec(text);
  const integerText = match?.[2] ?? "";
  const fractionText = match?.[3] ?? "";
  if (match === null || integerText.length + fractionText.length === 0) {
    throw validationError(notNumericMessage(text, style));
  }

  // The exponent text may be arbitrarily long; BigInt keeps "1e99999999999999999999" exact.
  const writtenExponent = BigInt(match[4] ?? "0");
  const exponentLimit = style === "current" ? INT64_MAX : INT32_MAX;
  if (writtenExponent > exponentLimit || writtenExponent < -exponentLimit) {
    throw validationError(notNumericMessage(text, style));
  }

  const allDigits = integerText + fractionText;
  const firstNonZero = allDigits.search(/[1-9]/);
  if (firstNonZero === -1) {
    checkMagnitude(writtenExponent - BigInt(fractionText.length), style);
    return { negative: false, digits: "", exponent: 0 };
  }

  const digits = trimZeros(allDigits, firstNonZero);
  const exponent = writtenExponent + BigInt(integerText.length - 1 - firstNonZero);
  checkMagnitude(exponent, style);
  if (digits.length > NUMBER_SIGNIFICANT_DIGITS_MAX) throw validationError(PRECISION_MESSAGE);

  return { negative: match[1] === "-", digits, exponent: Number(exponent) };
}

/**
 * Rejects a decimal exponent (of the leading digit) outside DynamoDB's range. In the older style
 * the check sees `exponent + 1` (precision minus scale) wrapped to a signed 32-bit integer.
 *
 * A zero is checked by its written exponent minus its number of fraction digits, as Java's
 * BigDecimal computes it: DynamoDB rejects `0e126` as an overflow and `0e-131` as an underflow and
 * accepts `0e125` (recorded by the same project, `tests/tier3/limits/numberExponent.test.ts`).
 */
function checkMagnitude(exponent: bigint, style: NumberMessageStyle): void {
  const checked = style === "older" ? BigInt.asIntN(32, exponent + 1n) - 1n : exponent;
  if (checked > BigInt(NUMBER_EXPONENT_MAX)) throw validationError(OVERFLOW_MESSAGE);
  if (checked < BigInt(NUMBER_EXPONENT_MIN)) throw validationError(UNDERFLOW_MESSAGE);
}

/** Returns `digits` from `start` (its first non-zero digit) without trailing zeros. */
function trimZeros(digits: string, start: number): string {
  let end = digits.length;
  while (end > start && digits[end - 1] === "0") end--;
  return digits.slice(start, end);
}

/** Formats {@linkcode NumberParts} in DynamoDB's canonical form (see the module documentation). */
export function formatNumberParts(parts: NumberParts): string {
  if (parts.digits === "") return "0";
  const sign = parts.negative ? "-" : "";
  const { digits, exponent } = parts;
  const integerLength = exponent + 1;

  if (integerLength <= 0) return `${sign}0.${"0".repeat(-integerLength)}${digits}`;
  if (integerLength >= digits.length) {
    return `${sign}${digits}${"0".repeat(integerLength - digits.length)}`;
  }
  return `${sign}${digits.slice(0, integerLength)}.${digits.slice(integerLength)}`;
}

/**
 * Validates number text and returns its value.
 *
 * @throws DynamoDBError ValidationException with DynamoDB's message for text that is not a number,
 * has more than 38 significant digits, or lies outside the supported magnitude range.
 */
export function parseNumber(
  text: string,
  style: NumberMessageStyle = "current",
): DynamoDecimal {
  return new DynamoDecimal(formatNumberParts(parseNumberParts(text, style)));
}

/**
 * Validates number text and returns it in DynamoDB's canonical form.
 *
 * @example
 * ```ts
 * import { canonicalNumber } from "./number.ts";
 * canonicalNumber("1e3"); // "1000"
 * canonicalNumber("-0.10"); // "-0.1"
 * ```
 * @throws DynamoDBError ValidationException, as {@linkcode parseNumber}.
 */
export function canonicalNumber(text: string, style: NumberMessageStyle = "current"): string {
  return formatNumberParts(parseNumberParts(text, style));
}

/**
 * Compares two valid numbers by value: negative when `a < b`, zero when equal, positive when
 * `a > b`. `1` and `1.0` are equal.
 */
export function compareNumbers(a: string, b: string): number {
  return new DynamoDecimal(a).comparedTo(new DynamoDecimal(b));
}

/** Converts an exact decimal result of arithmetic to a stored number, checking DynamoDB's limits. */
function arithmeticResult(value: DynamoDecimal): string {
  if (value.isZero()) return "0";
  // toFixed never uses exponent notation, so splitPlainDigits receives only digits and a point.
  const parts = splitPlainDigits(value.abs().toFixed(), value.isNegative());
  if (parts.exponent > NUMBER_EXPONENT_MAX) throw validationError(OVERFLOW_MESSAGE);
  if (parts.exponent < NUMBER_EXPONENT_MIN) throw validationError(UNDERFLOW_MESSAGE);
  // DynamoDB reports a result that needs more than 38 digits (for example 1e50 + 1) as an
  // overflow, not with the precision message it uses for input values (observed on DynamoDB and
  // recorded in ScyllaDB's test_update_expression_plus_imprecise).
  if (parts.digits.length > NUMBER_SIGNIFICANT_DIGITS_MAX) throw validationError(OVERFLOW_MESSAGE);
  return formatNumberParts(parts);
}

/** Splits an unsigned plain decimal string (digits, optional point) into parts, without limits. */
function splitPlainDigits(plain: string, negative: boolean): NumberParts {
  const point = plain.indexOf(".");
  const integerText = point === -1 ? plain : plain.slice(0, point);
  const allDigits = point === -1 ? plain : integerText + plain.slice(point + 1);
  const firstNonZero = allDigits.search(/[1-9]/);
  return {
    negative,
    digits: trimZeros(allDigits, firstNonZero),
    exponent: integerText.length - 1 - firstNonZero,
  };
}

/**
 * Adds two valid numbers exactly, as `SET a = a + :v` and `ADD` do.
 *
 * @throws DynamoDBError ValidationException when the sum is outside DynamoDB's range or needs more
 * than 38 significant digits (both reported as an overflow, as DynamoDB does).
 */
export function addNumbers(a: string, b: string): string {
  return arithmeticResult(new DynamoDecimal(a).plus(new DynamoDecimal(b)));
}

/**
 * Subtracts `b` from `a` exactly, as `SET a = a - :v` does.
 *
 * @throws DynamoDBError ValidationException, as {@linkcode addNumbers}.
 */
export function subtractNumbers(a: string, b: string): string {
  return arithmeticResult(new DynamoDecimal(a).minus(new DynamoDecimal(b)));
}
