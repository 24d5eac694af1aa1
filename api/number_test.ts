/**
 * Tests for DynamoDB number handling. Method: tables of input text and the exact canonical output
 * or error message DynamoDB gives, plus fast-check properties (canonical form is idempotent and
 * keeps the value; comparison agrees with decimal.js; arithmetic agrees with BigInt on integers).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { DynamoDBError } from "./errors.ts";
import {
  addNumbers,
  canonicalNumber,
  compareNumbers,
  DynamoDecimal,
  parseNumber,
  parseNumberParts,
  subtractNumbers,
} from "./number.ts";

const OVERFLOW =
  "Number overflow. Attempting to store a number with magnitude larger than supported range";
const UNDERFLOW =
  "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const PRECISION = "Attempting to store more than 38 significant digits in a Number";

/** Returns the ValidationException message `action` throws, failing when it throws nothing. */
function validationMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof DynamoDBError, `expected DynamoDBError, got ${error}`);
    assert.equal(error.type, "ValidationException");
    return error.message;
  }
  assert.fail("expected a ValidationException");
}

Deno.test("canonicalNumber writes DynamoDB's canonical form", () => {
  const cases: [string, string][] = [
    ["0", "0"],
    ["-0", "0"],
    ["+0", "0"],
    ["0.000", "0"],
    ["0e5", "0"],
    ["0e125", "0"],
    ["1e3", "1000"],
    ["1E3", "1000"],
    ["1e+3", "1000"],
    ["0.10", "0.1"],
    ["+5", "5"],
    ["-5", "-5"],
    ["00042", "42"],
    ["0001.23", "1.23"],
    ["1.5E2", "150"],
    ["1.0", "1"],
    ["1.", "1"],
    [".123", "0.123"],
    ["-.5", "-0.5"],
    ["1e-3", "0.001"],
    ["-17e5", "-1700000"],
    ["-17.4E37", "-174" + "0".repeat(36)],
    ["123.456e1", "1234.56"],
    ["123.456e-1", "12.3456"],
    ["1234567891234560000000000000000000000000", "1234567891234560000000000000000000000000"],
    ["1e100", "1" + "0".repeat(100)],
    ["1e125", "1" + "0".repeat(125)],
    ["9.9999999999999999999999999999999999999E+125", "9".repeat(38) + "0".repeat(88)],
    ["1e-130", "0." + "0".repeat(129) + "1"],
    ["-1e-130", "-0." + "0".repeat(129) + "1"],
    ["3.1415926535897932384626433832795028841", "3.1415926535897932384626433832795028841"],
    [
      "31415926535897932384626433832795028841e30",
      "31415926535897932384626433832795028841" +
      "0".repeat(30),
    ],
    ["1.000000000000000000000000000000000000000000000", "1"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(canonicalNumber(input), expected, `canonicalNumber(${JSON.stringify(input)})`);
  }
});

Deno.test("canonicalNumber rejects text with DynamoDB's messages", () => {
  const cases: [string, string][] = [
    ["", "The parameter cannot be converted to a numeric value: "],
    ["NaN", "The parameter cannot be converted to a numeric value: NaN"],
    ["Infinity", "The parameter cannot be converted to a numeric value: Infinity"],
    ["-Infinity", "The parameter cannot be converted to a numeric value: -Infinity"],
    ["dog", "The parameter cannot be converted to a numeric value: dog"],
    [" 1", "The parameter cannot be converted to a numeric value:  1"],
    ["1 ", "The parameter cannot be converted to a numeric value: 1 "],
    ["0x10", "The parameter cannot be converted to a numeric value: 0x10"],
    ["1e", "The parameter cannot be converted to a numeric value: 1e"],
    [".", "The parameter cannot be converted to a numeric value: ."],
    ["+", "The parameter cannot be converted to a numeric value: +"],
    ["--1", "The parameter cannot be converted to a numeric value: --1"],
    ["1,5", "The parameter cannot be converted to a numeric value: 1,5"],
    ["1e126", OVERFLOW],
    ["11e125", OVERFLOW],
    ["-1e126", OVERFLOW],
    ["1e99999999999", OVERFLOW],
    ["-1e99999999999", OVERFLOW],
    ["1e2147483648", OVERFLOW],
    ["1e2147483647", OVERFLOW],
    ["1e9223372036854775807", OVERFLOW],
    [
      "1e9223372036854775808",
      "The parameter cannot be converted to a numeric value: 1e9223372036854775808",
    ],
    ["1e-131", UNDERFLOW],
    ["0.9e-130", UNDERFLOW],
    ["-1e-131", UNDERFLOW],
    ["1e-99999999999", UNDERFLOW],
    ["1e-2147483648", UNDERFLOW],
    ["0e1000", OVERFLOW],
    ["0e126", OVERFLOW],
    ["0e-131", UNDERFLOW],
    ["0.0e-130", UNDERFLOW],
    ["3.14159265358979323846264338327950288419", PRECISION],
    ["314159265358979323846264338327950288419e30", PRECISION],
    ["-1.00000000000000000000000000000000000001", PRECISION],
    // Magnitude is checked before precision, as DynamoDB does.
    ["3.14159265358979323846264338327950288419e200", OVERFLOW],
  ];
  for (const [input, expected] of cases) {
    assert.equal(
      validationMessage(() => canonicalNumber(input)),
      expected,
      `canonicalNumber(${JSON.stringify(input)})`,
    );
  }
});

Deno.test("canonicalNumber in the older style", () => {
  const cases: [string, string][] = [
    ["", "The parameter cannot be converted to a numeric value"],
    ["abc", "The parameter cannot be converted to a numeric value: abc"],
    ["1e126", OVERFLOW],
    // Precision minus scale wraps in 32-bit arithmetic, as Java's BigDecimal computes it.
    ["1e2147483647", UNDERFLOW],
    ["1e2147483648", "The parameter cannot be converted to a numeric value: 1e2147483648"],
    ["1e-2147483648", "The parameter cannot be converted to a numeric value: 1e-2147483648"],
    ["1e99999999999", "The parameter cannot be converted to a numeric value: 1e99999999999"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(
      validationMessage(() => canonicalNumber(input, "older")),
      expected,
      `canonicalNumber(${JSON.stringify(input)}, "older")`,
    );
  }
  assert.equal(canonicalNumber("0e125", "older"), "0");
  assert.equal(canonicalNumber("-1.50e2", "older"), "-150");
});

Deno.test("parseNumberParts splits digits and exponent", () => {
  assert.deepEqual(parseNumberParts("-0.00120"), { negative: true, digits: "12", exponent: -3 });
  assert.deepEqual(parseNumberParts("1200"), { negative: false, digits: "12", exponent: 3 });
  assert.deepEqual(parseNumberParts("-0"), { negative: false, digits: "", exponent: 0 });
});

Deno.test("parseNumber returns the exact value", () => {
  assert.equal(parseNumber("1e3").toFixed(), "1000");
  assert.ok(parseNumber("0.1").plus(parseNumber("0.2")).equals(parseNumber("0.3")));
});

Deno.test("compareNumbers orders by value, not text", () => {
  const cases: [string, string, number][] = [
    ["1", "1.0", 0],
    ["0", "-0", 0],
    ["-10", "-9.5", -1],
    ["-9.5", "-1", -1],
    ["-1", "0", -1],
    ["0", "0.001", -1],
    ["0.001", "1", -1],
    ["1", "10", -1],
    ["10", "9", 1],
    ["10", "1e125", -1],
    ["-1e125", "-1e-130", -1],
    ["1e-130", "2e-130", -1],
  ];
  for (const [a, b, sign] of cases) {
    assert.equal(
      Math.sign(compareNumbers(canonicalNumber(a), canonicalNumber(b))),
      sign,
      `${a} ${b}`,
    );
  }
});

Deno.test("addNumbers and subtractNumbers are exact", () => {
  assert.equal(addNumbers("1", "10000000000000000000000"), "10000000000000000000001");
  assert.equal(subtractNumbers("10000000000000000000000", "1"), "9999999999999999999999");
  assert.equal(addNumbers("0.1", "0.2"), "0.3");
  assert.equal(addNumbers("1.5", "-1.5"), "0");
  assert.equal(subtractNumbers("-1.5", "-1.5"), "0");
  assert.equal(addNumbers("0.25", "0.75"), "1");
  assert.equal(subtractNumbers("1e-130", "3e-130"), "-0." + "0".repeat(129) + "2");
  assert.equal(
    addNumbers("9".repeat(37) + "8", "1"),
    "9".repeat(38),
  );
});

Deno.test("arithmetic rejects results outside DynamoDB's limits", () => {
  const cases: [() => string, string][] = [
    [() => addNumbers("9e125", "9e125"), OVERFLOW],
    [() => subtractNumbers("9e125", "-9e125"), OVERFLOW],
    // DynamoDB reports lost precision in arithmetic as an overflow.
    [() => subtractNumbers("1e50", "1"), OVERFLOW],
    [() => addNumbers("1e50", "1"), OVERFLOW],
    [() => addNumbers("9".repeat(38), "1e-1"), OVERFLOW],
    [() => subtractNumbers("1.1e-130", "1e-130"), UNDERFLOW],
  ];
  for (const [action, expected] of cases) {
    assert.equal(validationMessage(action), expected);
  }
});

/** Arbitrary valid number text in many spellings (sign, padding, exponent). */
const numberText = fc
  .record({
    sign: fc.constantFrom("", "+", "-"),
    digits: fc.stringMatching(/^[0-9]{1,38}$/),
    leadingZeros: fc.nat(3),
    trailingZeros: fc.nat(3),
    point: fc.nat(45),
    exponent: fc.integer({ min: -80, max: 80 }),
    exponentChar: fc.constantFrom("e", "E"),
  })
  .map((r) => {
    const body = "0".repeat(r.leadingZeros) + r.digits + "0".repeat(r.trailingZeros);
    const point = Math.min(r.point, body.length);
    const mantissa = point === body.length ? body : `${body.slice(0, point)}.${body.slice(point)}`;
    return `${r.sign}${mantissa}${r.exponentChar}${r.exponent}`;
  });

Deno.test("canonicalNumber is idempotent and keeps the value", () => {
  fc.assert(
    fc.property(numberText, (text) => {
      const canonical = canonicalNumber(text);
      assert.equal(canonicalNumber(canonical), canonical);
      assert.ok(new DynamoDecimal(canonical).equals(new DynamoDecimal(text)), `${text}`);
      assert.doesNotMatch(canonical, /[eE+]/);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("compareNumbers agrees with decimal.js", () => {
  fc.assert(
    fc.property(numberText, numberText, (a, b) => {
      const expected = new DynamoDecimal(a).comparedTo(new DynamoDecimal(b));
      assert.equal(Math.sign(compareNumbers(canonicalNumber(a), canonicalNumber(b))), expected);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("addNumbers agrees with BigInt on integers", () => {
  const integer = fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n });
  fc.assert(
    fc.property(integer, integer, (a, b) => {
      assert.equal(addNumbers(a.toString(), b.toString()), (a + b).toString());
      assert.equal(subtractNumbers(a.toString(), b.toString()), (a - b).toString());
    }),
    { numRuns: 1000 },
  );
});
