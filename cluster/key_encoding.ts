/**
 * Order-preserving, self-delimiting byte encoding of key attribute values (`S`, `N`, `B`), so that
 * comparing encoded keys as unsigned bytes gives DynamoDB's key order: strings by UTF-8 bytes,
 * binaries by bytes, numbers by value. Called by `key_layout.ts` to build storage keys on the
 * request path and by tests; pure functions.
 *
 * Invariants, for values `a` and `b` of one type:
 * - `sign(compareKeys(enc(a), enc(b))) === sign(DynamoDB's comparison of a and b)`.
 * - No encoding is a proper prefix of another, so `enc(pk1) ‖ enc(sk1)` and `enc(pk2) ‖ enc(sk2)`
 *   compare like the pairs `(pk1, sk1)` and `(pk2, sk2)`, and a decoder finds where a value ends.
 * - Equal values have equal encodings (`1` and `1.0` both arrive canonical as `1`).
 *
 * The byte layout, with a worked example, is in `KEY_FORMAT.md`, section "Key encoding". The
 * encoding is persisted in storage keys: its constants are frozen.
 *
 * @module
 */

import type { AttributeValue, ScalarAttributeType } from "../api/attribute_value.ts";
import { formatNumberParts, parseNumberParts } from "../api/number.ts";
import { assert } from "../util/assert.ts";

// Frozen: persisted in storage keys.
/** Escape byte in string and binary encodings: `0x00` is written as `0x00 0xFF`. */
const ESCAPE = 0x00;
/** Second byte of an escaped `0x00`. */
const ESCAPED_ZERO = 0xff;
/** Second byte of the terminator `0x00 0x01` of a string or binary. */
const TERMINATOR = 0x01;
/** First byte of a negative number. */
const NEGATIVE_SIGN = 0x01;
/** The whole encoding of the number zero. */
const ZERO_SIGN = 0x02;
/** First byte of a positive number. */
const POSITIVE_SIGN = 0x03;
/** Added to a number's decimal exponent (-130 … 125) to make the exponent byte (0 … 255). */
const EXPONENT_BIAS = 130;
/** Ends the digit pairs of a positive number; pair bytes are 0x01 … 0x64. */
const POSITIVE_END = 0x00;
/** Ends the digit pairs of a negative number; pair bytes are 0x9B … 0xFE. */
const NEGATIVE_END = 0xff;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes one key attribute value (`S`, `N` or `B`; numbers canonical, binaries valid base64).
 *
 * @example
 * ```ts
 * import { encodeKeyValue } from "./key_encoding.ts";
 * encodeKeyValue({ S: "ab" }); // 61 62 00 01
 * encodeKeyValue({ N: "-1.5" }); // 01 7d ef ff
 * ```
 */
export function encodeKeyValue(value: AttributeValue): Uint8Array {
  if ("S" in value) return encodeEscapedBytes(utf8Encoder.encode(value.S));
  if ("B" in value) return encodeEscapedBytes(base64ToBytes(value.B));
  assert("N" in value, `key value must be S, N or B, got ${Object.keys(value).join(",")}`);
  return encodeNumber(value.N);
}

/** Encodes the values in order and concatenates them (for example partition key ‖ sort key). */
export function encodeKeyValues(values: readonly AttributeValue[]): Uint8Array {
  const parts = values.map(encodeKeyValue);
  const result = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/**
 * Decodes the value of type `type` that starts at `offset` in `bytes`, returning it and the
 * offset just past its encoding.
 *
 * @throws AssertionError when the bytes are not a valid encoding (a corrupt key).
 */
export function decodeKeyValue(
  bytes: Uint8Array,
  offset: number,
  type: ScalarAttributeType,
): { value: AttributeValue; nextOffset: number } {
  if (type === "N") return decodeNumber(bytes, offset);
  const { content, nextOffset } = decodeEscapedBytes(bytes, offset);
  if (type === "S") return { value: { S: utf8Decoder.decode(content) }, nextOffset };
  return { value: { B: bytesToBase64(content) }, nextOffset };
}

/** Writes `content` with each 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01. */
function encodeEscapedBytes(content: Uint8Array): Uint8Array {
  const length = content.length;
  let zeroCount = 0;
  for (let index = 0; index < length; index++) if (content[index] === ESCAPE) zeroCount++;

  const result = new Uint8Array(length + zeroCount + 2);
  if (zeroCount === 0) {
    result.set(content);
  } else {
    let offset = 0;
    for (let index = 0; index < length; index++) {
      const byte = content[index]!;
      result[offset++] = byte;
      if (byte === ESCAPE) result[offset++] = ESCAPED_ZERO;
    }
  }
  result[length + zeroCount] = ESCAPE;
  result[length + zeroCount + 1] = TERMINATOR;
  return result;
}

function decodeEscapedBytes(
  bytes: Uint8Array,
  offset: number,
): { content: Uint8Array; nextOffset: number } {
  const content: number[] = [];
  let index = offset;
  for (;;) {
    assert(index < bytes.length, `unterminated string or binary key at offset ${offset}`);
    const byte = bytes[index++] as number;
    if (byte !== ESCAPE) {
      content.push(byte);
      continue;
    }
    const next = bytes[index++];
    if (next === TERMINATOR) return { content: Uint8Array.from(content), nextOffset: index };
    assert(next === ESCAPED_ZERO, `invalid escape 0x00 0x${next?.toString(16)} in key`);
    content.push(ESCAPE);
  }
}

/**
 * Encodes a canonical number as a sign byte, then for a non-zero value an exponent byte, the
 * significant digits as base-100 pairs and an end byte. Negative values invert the exponent and
 * pair bytes, so that larger magnitudes sort first.
 */
function encodeNumber(number: string): Uint8Array {
  const parts = parseNumberParts(number);
  if (parts.digits === "") return Uint8Array.of(ZERO_SIGN);

  const digits = parts.digits.length % 2 === 0 ? parts.digits : `${parts.digits}0`;
  const pairCount = digits.length / 2;
  const result = new Uint8Array(3 + pairCount);
  const exponentByte = parts.exponent + EXPONENT_BIAS;
  assert(exponentByte >= 0 && exponentByte <= 255, `number exponent out of range: ${number}`);

  result[0] = parts.negative ? NEGATIVE_SIGN : POSITIVE_SIGN;
  result[1] = parts.negative ? 255 - exponentByte : exponentByte;
  for (let pair = 0; pair < pairCount; pair++) {
    const value = Number(digits.slice(pair * 2, pair * 2 + 2));
    result[2 + pair] = parts.negative ? 0xfe - value : value + 1;
  }
  result[2 + pairCount] = parts.negative ? NEGATIVE_END : POSITIVE_END;
  return result;
}

function decodeNumber(
  bytes: Uint8Array,
  offset: number,
): { value: AttributeValue; nextOffset: number } {
  const sign = bytes[offset];
  if (sign === ZERO_SIGN) return { value: { N: "0" }, nextOffset: offset + 1 };
  assert(sign === NEGATIVE_SIGN || sign === POSITIVE_SIGN, `invalid number sign byte ${sign}`);
  const negative = sign === NEGATIVE_SIGN;

  const exponentByte = bytes[offset + 1];
  assert(exponentByte !== undefined, `truncated number key at offset ${offset}`);
  const exponent = (negative ? 255 - exponentByte : exponentByte) - EXPONENT_BIAS;

  let digits = "";
  let index = offset + 2;
  const end = negative ? NEGATIVE_END : POSITIVE_END;
  for (;;) {
    const byte = bytes[index++];
    assert(byte !== undefined, `unterminated number key at offset ${offset}`);
    if (byte === end) break;
    const value = negative ? 0xfe - byte : byte - 1;
    assert(value >= 0 && value <= 99, `invalid digit pair byte ${byte} in number key`);
    digits += String(value).padStart(2, "0");
  }
  if (digits.endsWith("0")) digits = digits.slice(0, -1);

  const value = { N: formatNumberParts({ negative, digits, exponent }) };
  return { value, nextOffset: index };
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
