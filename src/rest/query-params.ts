/**
 * Mapping query parameters onto request fields.
 *
 * Parameters name fields by proto or JSON name, nested with dots ("filter.range.min=1");
 * repeated fields are set by repeating the parameter ("tags=a&tags=b"). Only fields not bound
 * by the path and not carried by the body can be set; anything else is INVALID_ARGUMENT:
 * unknown names, a path-bound field, the body field (or any field when body is "*"), map and
 * plain message fields, and a singular field given twice.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { fieldPathsOverlap, fieldValueFromStrings, isStringSettable, resolveFieldPath, setAtFieldPath, type FieldPath } from "./field-path.js";
import type { RestRoute } from "./rest-route.js";

/** Sets the fields named by `query` in `root`; throws INVALID_ARGUMENT naming the parameter. */
export function applyQueryParams(route: RestRoute, query: URLSearchParams, root: JsonObject): void {
  const seen: { name: string; path: FieldPath }[] = [];
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    const path = resolveQueryParam(route, name);
    const leaf = path[path.length - 1]!;
    const clash = seen.find((s) => fieldPathsOverlap(s.path, path));
    if (clash !== undefined) {
      throw invalid(`query parameter "${name}" sets the same field as "${clash.name}"`);
    }
    seen.push({ name, path });
    if (leaf.fieldKind !== "list" && values.length > 1) {
      throw invalid(`query parameter "${name}" must not be repeated: field "${leaf.name}" is not a list`);
    }
    setAtFieldPath(root, path, fieldValueFromStrings(route.rpc.input, path, values, `query parameter "${name}"`));
  }
}

/** Resolves a parameter name to a settable field path, or throws INVALID_ARGUMENT. */
function resolveQueryParam(route: RestRoute, name: string): FieldPath {
  if (route.bodyKind === "all") {
    throw invalid(`unknown query parameter "${name}": the request body carries all fields`);
  }
  const res = resolveFieldPath(route.rpc.input, name.split("."), true);
  if (!res.ok) {
    throw invalid(`unknown query parameter "${name}": ${res.reason}`);
  }
  const path = res.fields;
  if (route.bodyField !== undefined && path[0] === route.bodyField) {
    throw invalid(`query parameter "${name}" is not allowed: field "${route.bodyField.name}" is carried by the body`);
  }
  if (route.variableFields.some((v) => fieldPathsOverlap(v, path))) {
    throw invalid(`query parameter "${name}" is not allowed: the field is bound by the URL path`);
  }
  const leaf = path[path.length - 1]!;
  if (!isStringSettable(leaf)) {
    const why =
      leaf.fieldKind === "message"
        ? `field "${leaf.name}" is a message; set its subfields instead`
        : `${leaf.fieldKind === "map" ? "map" : "repeated message"} field "${leaf.name}" cannot be set from the query string`;
    throw invalid(`query parameter "${name}" is not allowed: ${why}`);
  }
  return path;
}

/** An INVALID_ARGUMENT error. */
function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
