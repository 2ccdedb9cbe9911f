/**
 * Converting path-variable and query-parameter strings to proto3 JSON values.
 *
 * The result is what protobuf-es's fromJson expects for the field, so that it does all the
 * validation: numbers stay strings (proto3 JSON accepts quoted numbers, including 64-bit ints,
 * "NaN" and "Infinity"), bools become true/false, enum numbers become JSON numbers, bytes stay
 * base64, Timestamp (RFC 3339) and Duration ("1.5s") stay strings, and FieldMask paths may be
 * given in snake_case or lowerCamelCase ("update_mask=display_name,labels").
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/** Well-known messages whose JSON form is a plain string (or scalar). */
const STRING_FORM_WKT = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  "google.protobuf.Value",
]);

/** Whether a field, singular or repeated, can be set from strings (map fields cannot). */
export function isStringSettable(field: DescField): boolean {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return true;
    case "message":
      return isStringMessage(field.message);
    case "list":
      return field.listKind !== "message" || isStringMessage(field.message);
    case "map":
      return false;
  }
}

/** Converts one string to the proto3 JSON value of the field's type (element type for lists). */
export function stringToJsonValue(field: DescField, value: string): JsonValue {
  if (field.fieldKind === "map") {
    throw new Error(`map field ${field.name} cannot be set from a string`);
  }
  if (field.enum !== undefined) {
    return /^-?\d+$/.test(value) ? Number(value) : value;
  }
  if (field.message !== undefined) {
    return messageValue(field.message, value);
  }
  return scalarValue(field.scalar, value);
}

/** The JSON value of a well-known message type given as a string. */
function messageValue(message: DescMessage, value: string): JsonValue {
  if (message.typeName === "google.protobuf.FieldMask") {
    return value
      .split(",")
      .map((path) => path.split(".").map(lowerCamel).join("."))
      .join(",");
  }
  if (isWrapperDesc(message)) {
    return scalarValue(message.fields[0].scalar, value);
  }
  return value;
}

/** The JSON value of a scalar given as a string. */
function scalarValue(scalar: ScalarType, value: string): JsonValue {
  if (scalar === ScalarType.BOOL) {
    return value === "true" ? true : value === "false" ? false : value;
  }
  return value;
}

/** Whether a message type can be given as a single string. */
function isStringMessage(message: DescMessage): boolean {
  return STRING_FORM_WKT.has(message.typeName) || isWrapperDesc(message);
}

/** snake_case to lowerCamelCase, the JSON form of FieldMask paths. */
function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
