/**
 * Setting values at field paths inside the JSON object that becomes the request message.
 *
 * Entries are keyed by proto field names. A body may use either the proto name or the JSON name
 * of a field; when a path or query value is set on a field, an entry under the other name is
 * replaced as well, so that protobuf-es never sees the same field twice.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { DescField, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { fieldPathName, type FieldPath } from "./field-path.js";

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
