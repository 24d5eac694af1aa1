/**
 * DynamoDB attribute values as Strata holds them in memory.
 *
 * Values keep DynamoDB's JSON wire shape so that a stored item serialises straight into a
 * response. After validation (see `validation.ts`) two extra invariants hold: every number string
 * (`N`, and each `NS` element) is in canonical form (`1e3` becomes `1000`, see `number.ts`), and
 * every binary (`B`, each `BS` element) is valid base64 whose decoded bytes are the value.
 *
 * @module
 */

/** One DynamoDB attribute value: exactly one type key. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: AttributeMap }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

/** A map from attribute names to values: an item, or the value of an `M` attribute. */
export type AttributeMap = Record<string, AttributeValue>;

/** A whole item. */
export type Item = AttributeMap;

/** DynamoDB's type descriptors, as used in `attribute_type` and error messages. */
export type AttributeType = "S" | "N" | "B" | "BOOL" | "NULL" | "M" | "L" | "SS" | "NS" | "BS";

/** The three types a key attribute may have (`KeySchema` / `AttributeDefinitions`). */
export type ScalarAttributeType = "S" | "N" | "B";

/** All type descriptors in DynamoDB's order. */
export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  "S",
  "N",
  "B",
  "BOOL",
  "NULL",
  "M",
  "L",
  "SS",
  "NS",
  "BS",
];

/** Returns the type descriptor of a validated value. */
export function typeOf(value: AttributeValue): AttributeType {
  for (const name in value) return name as AttributeType;
  throw new TypeError("attribute value has no type");
}
