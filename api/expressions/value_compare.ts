/**
 * Comparison, equality, containment and size of attribute values, with DynamoDB's rules: numbers
 * compare by value, strings by their UTF-8 bytes, binaries by their decoded bytes, and only values
 * of the same type are ever equal or ordered. Sets compare as sets (element order does not
 * matter), lists element by element, maps key by key.
 *
 * Used by the condition evaluator, by key-condition and BETWEEN checks at parse time, and by the
 * update code (set union and difference). Pure functions on the request path. Inputs are
 * validated values (canonical numbers, valid base64).
 *
 * @module
 */

import type { AttributeValue } from "../attribute_value.ts";
import { compareNumbers } from "../number.ts";

/**
 * Compares two strings by their UTF-8 encodings, which orders them by code point. JavaScript's
 * `<` compares UTF-16 code units instead and puts U+10000 and above before U+E000…U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const unitA = a.charCodeAt(index);
    const unitB = b.charCodeAt(index);
    if (unitA === unitB) continue;
    // Code points differ here. A surrogate (0xD800–0xDFFF) starts a code point above U+FFFF, which
    // sorts after every code unit that is not a surrogate.
    const surrogateA = unitA >= 0xd800 && unitA <= 0xdfff;
    const surrogateB = unitB >= 0xd800 && unitB <= 0xdfff;
    if (surrogateA !== surrogateB) return surrogateA ? 1 : -1;
    return unitA - unitB;
  }
  return a.length - b.length;
}

/** Decodes a validated base64 binary value into its bytes. */
export function decodeBinary(base64: string): Uint8Array {
  return Uint8Array.fromBase64(base64);
}

/** Compares two byte arrays as unsigned bytes, shorter first on a shared prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Compares two base64 binaries by their decoded bytes. */
export function compareBinaries(a: string, b: string): number {
  if (a === b) return 0;
  return compareBytes(decodeBinary(a), decodeBinary(b));
}

/**
 * Orders two values of one of the ordered types (`N`, `S`, `B`) with DynamoDB's rules. Returns
 * `undefined` when the types differ or are not ordered, which every ordering comparison treats as
 * false.
 */
export function compareOrdered(a: AttributeValue, b: AttributeValue): number | undefined {
  if ("N" in a && "N" in b) return compareNumbers(a.N, b.N);
  if ("S" in a && "S" in b) return compareUtf8(a.S, b.S);
  if ("B" in a && "B" in b) return compareBinaries(a.B, b.B);
  return undefined;
}

/** Returns whether a value has one of the ordered types `N`, `S` or `B`. */
export function isOrderedType(value: AttributeValue): boolean {
  return "N" in value || "S" in value || "B" in value;
}

/** Returns whether two values are equal: same type, and the same value by DynamoDB's rules. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if ("S" in a) return "S" in b && a.S === b.S;
  if ("N" in a) return "N" in b && compareNumbers(a.N, b.N) === 0;
  if ("B" in a) return "B" in b && compareBinaries(a.B, b.B) === 0;
  if ("BOOL" in a) return "BOOL" in b && a.BOOL === b.BOOL;
  if ("NULL" in a) return "NULL" in b;
  if ("SS" in a) return "SS" in b && setsEqual(a.SS, b.SS, (x, y) => x === y);
  if ("NS" in a) return "NS" in b && setsEqual(a.NS, b.NS, (x, y) => compareNumbers(x, y) === 0);
  if ("BS" in a) return "BS" in b && setsEqual(a.BS, b.BS, (x, y) => compareBinaries(x, y) === 0);
  if ("L" in a) {
    return "L" in b && a.L.length === b.L.length &&
      a.L.every((element, index) => valuesEqual(element, b.L[index] as AttributeValue));
  }
  return "M" in b && mapsEqual(a.M, b.M);
}

function setsEqual(a: string[], b: string[], same: (x: string, y: string) => boolean): boolean {
  // Set elements are unique, so equal sizes plus one-way inclusion is equality.
  return a.length === b.length && a.every((x) => b.some((y) => same(x, y)));
}

function mapsEqual(a: Record<string, AttributeValue>, b: Record<string, AttributeValue>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    Object.hasOwn(b, key) && valuesEqual(a[key] as AttributeValue, b[key] as AttributeValue)
  );
}

/**
 * Implements `contains(haystack, needle)`: a substring of a string, a byte subsequence of a
 * binary, a member of a set (of the matching element type), or an element of a list (any type,
 * compared with {@linkcode valuesEqual}). Any other combination is false.
 */
export function containsValue(haystack: AttributeValue, needle: AttributeValue): boolean {
  if ("S" in haystack) return "S" in needle && haystack.S.includes(needle.S);
  if ("B" in haystack) {
    return "B" in needle && bytesInclude(decodeBinary(haystack.B), decodeBinary(needle.B));
  }
  if ("SS" in haystack) return "S" in needle && haystack.SS.includes(needle.S);
  if ("NS" in haystack) {
    return "N" in needle && haystack.NS.some((element) => compareNumbers(element, needle.N) === 0);
  }
  if ("BS" in haystack) {
    return "B" in needle &&
      haystack.BS.some((element) => compareBinaries(element, needle.B) === 0);
  }
  if ("L" in haystack) return haystack.L.some((element) => valuesEqual(element, needle));
  return false;
}

function bytesInclude(haystack: Uint8Array, needle: Uint8Array): boolean {
  const lastStart = haystack.length - needle.length;
  for (let start = 0; start <= lastStart; start++) {
    let index = 0;
    while (index < needle.length && haystack[start + index] === needle[index]) index++;
    if (index === needle.length) return true;
  }
  return false;
}

/**
 * Implements `begins_with(value, prefix)` for two strings or two binaries; any other pair is
 * false.
 */
export function beginsWith(value: AttributeValue, prefix: AttributeValue): boolean {
  if ("S" in value && "S" in prefix) return value.S.startsWith(prefix.S);
  if ("B" in value && "B" in prefix) {
    const bytes = decodeBinary(value.B);
    const prefixBytes = decodeBinary(prefix.B);
    if (prefixBytes.length > bytes.length) return false;
    return prefixBytes.every((byte, index) => bytes[index] === byte);
  }
  return false;
}

/**
 * Implements `size(value)`: the length of a string in UTF-16 code units, the number of bytes of a
 * binary, the number of elements of a set or list, or the number of entries of a map. Numbers,
 * booleans and nulls have no size (`undefined`), so a comparison with their size is false.
 * DynamoDB counts UTF-16 code units, so `size` of `"é𝄞"` is 3 (checked against DynamoDB by the
 * ExtendDB project).
 */
export function sizeOf(value: AttributeValue): number | undefined {
  if ("S" in value) return value.S.length;
  if ("B" in value) return decodeBinary(value.B).length;
  if ("SS" in value) return value.SS.length;
  if ("NS" in value) return value.NS.length;
  if ("BS" in value) return value.BS.length;
  if ("L" in value) return value.L.length;
  if ("M" in value) return Object.keys(value.M).length;
  return undefined;
}
