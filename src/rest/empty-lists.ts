/**
 * Empty repeated and map fields in REST responses: `"devices": []`, `"tags": {}`, where proto3
 * JSON omits them. REST clients read a list field without a presence check; Connect and gRPC keep
 * the canonical proto3 JSON, whose generated clients turn an absent field into an empty one anyway.
 */
import type { DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";

/** Adds the absent list and map fields of `schema` to its JSON, in nested messages too; returns `json`. */
export function withEmptyLists(schema: DescMessage, json: JsonValue, useProtoFieldName: boolean): JsonValue {
  // Well-known types have JSON of their own (a Struct is a plain object, a Timestamp a string).
  if (!isObject(json) || schema.typeName.startsWith("google.protobuf.")) return json;
  for (const field of schema.fields) {
    const key = useProtoFieldName ? field.name : field.jsonName;
    const value = json[key];
    if (field.fieldKind === "list") {
      if (value === undefined) json[key] = [];
      else if (field.listKind === "message" && Array.isArray(value)) value.forEach((item) => withEmptyLists(field.message, item, useProtoFieldName));
    } else if (field.fieldKind === "map") {
      if (value === undefined) json[key] = {};
      else if (field.mapKind === "message" && isObject(value)) Object.values(value).forEach((item) => withEmptyLists(field.message, item, useProtoFieldName));
    } else if (field.fieldKind === "message" && value !== undefined) {
      withEmptyLists(field.message, value, useProtoFieldName);
    }
  }
  return json;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
