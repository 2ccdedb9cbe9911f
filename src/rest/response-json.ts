/**
 * Serializing the RPC response: the whole message, or the response_body field of it, with
 * protobuf-es's toJson. Field names are proto names (`device_id`) and enums are names unless
 * the handler's jsonOptions say otherwise. google.protobuf.Empty serializes to `{}`. Empty lists
 * and maps are written out (`"devices": []`), see empty-lists.ts.
 */
import { create, toJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue, JsonWriteOptions, MessageShape } from "@bufbuild/protobuf";
import { withEmptyLists } from "./empty-lists.js";
import type { RestRoute } from "./rest-route.js";

/** The response message type of a route. */
export type RouteResponse = MessageShape<RestRoute["rpc"]["output"]>;

/** The JSON of the response (or of its response_body field). */
export function responseToJson(route: RestRoute, message: RouteResponse, writeOptions: Partial<JsonWriteOptions> = {}): JsonValue {
  const options: Partial<JsonWriteOptions> = { useProtoFieldName: true, ...writeOptions };
  const whole = withEmptyLists(route.rpc.output, toJson(route.rpc.output, message, options), options.useProtoFieldName !== false);
  const field = route.responseField;
  if (field === undefined) {
    return whole;
  }
  const key = options.useProtoFieldName === false ? field.jsonName : field.name;
  const value = (whole as JsonObject)[key];
  if (value !== undefined) {
    return value;
  }
  if (field.fieldKind === "message") {
    // An unset message field: its type's default, e.g. {} for a plain message.
    try {
      return toJson(field.message, create(field.message), options);
    } catch {
      return null;
    }
  }
  // An empty list or map, or a zero scalar: emitted with implicit-presence defaults on.
  const defaults = toJson(route.rpc.output, message, { ...options, alwaysEmitImplicit: true }) as JsonObject;
  return defaults[key] ?? null;
}
