/**
 * Building the request message of a route from the HTTP request.
 *
 * One JSON object is assembled from the body (body "*": the object itself; body "field": the
 * object under that field), the query parameters, and the path variables, and parsed with
 * protobuf-es's fromJson (unknown fields rejected), so all value validation is protobuf-es's.
 *
 * Path variables are applied last and win: a value the body gives for a path-bound field is
 * replaced by the path's (as grpc-gateway and AIP-134's "the URL is authoritative" do), so the
 * request never carries a value that differs from the URL. Query parameters naming a path-bound
 * field are rejected instead (see query-params.ts).
 */
import { fromJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonReadOptions, JsonValue, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { fieldValueFromStrings, isJsonObject, setAtFieldPath } from "./field-path.js";
import type { BoundVariable } from "./path-template.js";
import { applyQueryParams } from "./query-params.js";
import type { RestRoute } from "./rest-route.js";

/** The request message type of a route. */
export type RouteRequest = MessageShape<RestRoute["rpc"]["input"]>;

/** Assembles and parses the request message; throws INVALID_ARGUMENT for any invalid input. */
export function buildRequestMessage(
  route: RestRoute,
  variables: readonly BoundVariable[],
  query: URLSearchParams,
  body: JsonValue | undefined,
  readOptions: Partial<JsonReadOptions> = {},
): RouteRequest {
  const root = bodyObject(route, body);
  applyQueryParams(route, query, root);
  variables.forEach((bound, i) => {
    const path = route.variableFields[i]!;
    const source = `path variable "${bound.variable.fieldPath.join(".")}"`;
    setAtFieldPath(root, path, fieldValueFromStrings(route.rpc.input, path, [bound.value], source));
  });
  let message: RouteRequest;
  try {
    message = fromJson(route.rpc.input, root, { ignoreUnknownFields: false, ...readOptions });
  } catch (e) {
    if (e instanceof ConnectError) throw e;
    throw new ConnectError(e instanceof Error ? e.message : String(e), Code.InvalidArgument, undefined, undefined, e);
  }
  // Looked for once fromJson has bounded the nesting.
  const unpaired = unpairedSurrogateAt(root);
  if (unpaired !== undefined) throw new ConnectError(`${unpaired}: must be valid Unicode (no unpaired surrogate)`, Code.InvalidArgument);
  return message;
}

/** The JSON object the body contributes. */
function bodyObject(route: RestRoute, body: JsonValue | undefined): JsonObject {
  if (route.bodyKind === "all") {
    if (body === undefined) return {};
    if (!isJsonObject(body)) {
      throw new ConnectError("request body must be a JSON object", Code.InvalidArgument);
    }
    return { ...body };
  }
  const root: JsonObject = {};
  if (route.bodyKind === "field" && body !== undefined) {
    setAtFieldPath(root, [route.bodyField!], body);
  }
  return root;
}

// With the u flag, \p{Cs} matches only a surrogate that is not half of a pair.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path of the first key or string holding an unpaired surrogate ("\ud800" in JSON), which
 * the binary encoding the RPC travels in would silently turn into U+FFFD.
 */
function unpairedSurrogateAt(value: JsonValue, path = ""): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((item, i) => [`[${i}]`, item])
    : Object.entries(value).map(([k, v]) => [path === "" ? k : `.${k}`, v]);
  for (const [step, item] of entries) {
    const at = `${path}${step}`;
    if (!Array.isArray(value) && LONE_SURROGATE.test(step)) return at;
    const found = unpairedSurrogateAt(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
