/**
 * Turning the string(s) of one path variable or query parameter into the JSON value of its field,
 * checked on its own with protobuf-es so that an invalid value is reported with the name of the
 * parameter or variable it came from (the assembled request is parsed again as a whole later).
 */
import { fromJson } from "@bufbuild/protobuf";
import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FieldPath } from "./field-path.js";
import { setAtFieldPath } from "./json-path.js";
import { stringToJsonValue } from "./string-value.js";

/**
 * The JSON value for `path` from `values` (one for a singular field, any number for a list).
 * Throws INVALID_ARGUMENT naming `source` (e.g. 'query parameter "color"') for an invalid value.
 */
export function fieldValueFromStrings(
  schema: DescMessage,
  path: FieldPath,
  values: readonly string[],
  source: string,
): JsonValue {
  const leaf = path[path.length - 1]!;
  const value: JsonValue =
    leaf.fieldKind === "list" ? values.map((v) => stringToJsonValue(leaf, v)) : stringToJsonValue(leaf, values[0] ?? "");
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
