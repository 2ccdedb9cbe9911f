/**
 * Field paths of a request message ("book.shelf.id"): resolving them on descriptors, setting
 * values at them in the JSON object that becomes the request, and converting the strings of path
 * variables and query parameters to the values of their fields.
 *
 * Path variables name fields by their proto names only (as the google.api.http grammar does);
 * query parameters may use the proto name or the JSON (lowerCamelCase) name of each segment.
 *
 * JSON entries are keyed by proto field names. A body may use either the proto name or the JSON
 * name of a field; when a path or query value is set on a field, an entry under the other name is
 * replaced as well, so that protobuf-es never sees the same field twice.
 *
 * Strings become what protobuf-es's fromJson expects for the field, so that it does all the
 * validation: numbers stay strings (proto3 JSON accepts quoted numbers, including 64-bit ints,
 * "NaN" and "Infinity"), bools become true/false, enum numbers become JSON numbers, bytes stay
 * base64, Timestamp (RFC 3339) and Duration ("1.5s") stay strings, and FieldMask paths may be
 * given in snake_case or lowerCamelCase ("update_mask=display_name,labels").
 */
import { fromJson, ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

/** A resolved field path: the fields from the request message down to the leaf. */
export type FieldPath = readonly DescField[];

/** The result of resolving a path: the fields, or why it could not be resolved. */
export type FieldPathResult = { readonly ok: true; readonly fields: FieldPath } | { readonly ok: false; readonly reason: string };

/**
 * Resolves `names` on `schema`. Every segment but the last must be a singular message field
 * whose JSON form is an object (well-known types with a special JSON form cannot be entered).
 */
export function resolveFieldPath(schema: DescMessage, names: readonly string[], acceptJsonNames: boolean): FieldPathResult {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = schema;
  for (const name of names) {
    if (message === undefined) {
      const parent = fields[fields.length - 1]!;
      return { ok: false, reason: `field "${parent.name}" has no subfields` };
    }
    const field: DescField | undefined = message.fields.find((f) => f.name === name || (acceptJsonNames && f.jsonName === name));
    if (field === undefined) {
      return { ok: false, reason: `${message.typeName} has no field "${name}"` };
    }
    fields.push(field);
    message = field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.") ? field.message : undefined;
  }
  if (fields.length === 0) {
    return { ok: false, reason: "empty field path" };
  }
  return { ok: true, fields };
}

/** The dotted proto-name form of a resolved path, e.g. "book.shelf.id". */
export function fieldPathName(path: FieldPath): string {
  return path.map((f) => f.name).join(".");
}

/** True when one path equals the other or is a prefix of it (they touch the same data). */
export function fieldPathsOverlap(a: FieldPath, b: FieldPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Whether a JSON value is a plain object (not null, not an array). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets `value` at `path` inside `root`, creating (or copying) intermediate objects, and replacing
 * whatever the leaf held. Throws INVALID_ARGUMENT when an intermediate value is not an object.
 */
export function setAtFieldPath(root: JsonObject, path: FieldPath, value: JsonValue): void {
  let obj = root;
  for (let i = 0; i < path.length - 1; i++) {
    const field = path[i]!;
    const keys = presentKeys(obj, field);
    if (keys.length > 1) {
      throw invalid(`field "${fieldPathName(path.slice(0, i + 1))}" is set multiple times`);
    }
    const existing = keys.length === 1 ? obj[keys[0]!] : undefined;
    let child: JsonObject;
    if (existing === undefined || existing === null) {
      child = {};
    } else if (isJsonObject(existing)) {
      child = { ...existing };
    } else {
      throw invalid(`field "${fieldPathName(path.slice(0, i + 1))}" must be a JSON object`);
    }
    for (const k of keys) delete obj[k];
    put(obj, field.name, child);
    obj = child;
  }
  const leaf = path[path.length - 1]!;
  for (const k of presentKeys(obj, leaf)) delete obj[k];
  put(obj, leaf.name, value);
}

/** The keys under which `obj` holds `field` (its proto name and/or JSON name). */
function presentKeys(obj: JsonObject, field: DescField): string[] {
  const names = field.jsonName === field.name ? [field.name] : [field.name, field.jsonName];
  return names.filter((k) => Object.hasOwn(obj, k));
}

/** Defines an own enumerable property (safe even for a field named "__proto__"). */
function put(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An INVALID_ARGUMENT error. */
function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** Well-known messages whose JSON form is a plain string (or scalar). */
const STRING_FORM_WKT = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.Value"]);

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
function stringToJsonValue(field: DescField, value: string): JsonValue {
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

/**
 * The JSON value for `path` from `values` (one for a singular field, any number for a list),
 * checked on its own with protobuf-es so that an invalid value is reported with the name of the
 * parameter or variable it came from (the assembled request is parsed again as a whole later).
 * Throws INVALID_ARGUMENT naming `source` (e.g. 'query parameter "color"') for an invalid value.
 */
export function fieldValueFromStrings(schema: DescMessage, path: FieldPath, values: readonly string[], source: string): JsonValue {
  const leaf = path[path.length - 1]!;
  const value: JsonValue = leaf.fieldKind === "list" ? values.map((v) => stringToJsonValue(leaf, v)) : stringToJsonValue(leaf, values[0] ?? "");
  const probe = {};
  setAtFieldPath(probe, path, value);
  try {
    fromJson(schema, probe, { ignoreUnknownFields: false });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ConnectError(`invalid value for ${source}: ${detail}`, Code.InvalidArgument, undefined, undefined, e);
  }
  return value;
}
