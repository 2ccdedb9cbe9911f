/**
 * JSON Schemas (OpenAPI 3.1 dialect) of messages, enums and fields, in their proto3 JSON form:
 * proto field names, enums by name, 64-bit integers as strings, bytes as base64, and the
 * well-known types in their special JSON forms (Timestamp as an RFC 3339 string, Struct as an
 * object, Empty as {}, FieldMask as a comma-separated string, wrappers as nullable scalars).
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, JsonObject } from "@bufbuild/protobuf";

/** A JSON Schema object. */
export type Schema = JsonObject;

/** Builds schemas, collecting every named message and enum they refer to as components. */
export interface SchemaCollector {
  /** The schema of a message: a $ref to its component, or inline for well-known types. */
  message(desc: DescMessage): Schema;
  /** The schema of a field's value, repeated and map fields included. */
  field(field: DescField): Schema;
  /** The component schemas referred to so far, by full type name. */
  readonly components: Readonly<Record<string, Schema>>;
}

const int64 = { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
const uint64 = { type: "string", format: "uint64", pattern: "^[0-9]+$" };

const SCALARS: Readonly<Record<ScalarType, Schema>> = {
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
  [ScalarType.INT32]: { type: "integer", format: "int32" },
  [ScalarType.SINT32]: { type: "integer", format: "int32" },
  [ScalarType.SFIXED32]: { type: "integer", format: "int32" },
  [ScalarType.UINT32]: { type: "integer", minimum: 0, maximum: 4294967295 },
  [ScalarType.FIXED32]: { type: "integer", minimum: 0, maximum: 4294967295 },
  [ScalarType.INT64]: int64,
  [ScalarType.SINT64]: int64,
  [ScalarType.SFIXED64]: int64,
  [ScalarType.UINT64]: uint64,
  [ScalarType.FIXED64]: uint64,
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BYTES]: { type: "string", contentEncoding: "base64" },
};

const nullable = (scalar: ScalarType): Schema => ({ ...SCALARS[scalar], type: [SCALARS[scalar]["type"]!, "null"] });

/** Well-known types whose proto3 JSON form is not an object of their fields. */
const WELL_KNOWN: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", description: 'Seconds with an "s" suffix, e.g. "1.5s".' },
  "google.protobuf.FieldMask": { type: "string", description: 'Comma-separated field paths, e.g. "name,tags".' },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Empty": { type: "object", additionalProperties: false },
  "google.protobuf.Any": { type: "object", properties: { "@type": { type: "string" } }, required: ["@type"] },
  "google.protobuf.DoubleValue": nullable(ScalarType.DOUBLE),
  "google.protobuf.FloatValue": nullable(ScalarType.FLOAT),
  "google.protobuf.Int64Value": nullable(ScalarType.INT64),
  "google.protobuf.UInt64Value": nullable(ScalarType.UINT64),
  "google.protobuf.Int32Value": nullable(ScalarType.INT32),
  "google.protobuf.UInt32Value": nullable(ScalarType.UINT32),
  "google.protobuf.BoolValue": nullable(ScalarType.BOOL),
  "google.protobuf.StringValue": nullable(ScalarType.STRING),
  "google.protobuf.BytesValue": nullable(ScalarType.BYTES),
};

// AIP-203: a field documented "Output only." is set by the service and ignored in requests.
const OUTPUT_ONLY = /^Output only\./;

/**
 * Creates a collector; `useProtoFieldName` must match the JSON options the REST handler uses.
 * `docs` (proto comments by full name) describe the messages, enums and fields.
 */
export function createSchemaCollector(useProtoFieldName = true, docs: Readonly<Record<string, string>> = {}): SchemaCollector {
  const components: Record<string, Schema> = {};
  const ref = (typeName: string): Schema => ({ $ref: `#/components/schemas/${typeName}` });

  const enumSchema = (desc: DescEnum): Schema => {
    if (desc.typeName === "google.protobuf.NullValue") return { type: "null" };
    components[desc.typeName] ??= { ...described(docs[desc.typeName]), type: "string", enum: desc.values.map((v) => v.name) };
    return ref(desc.typeName);
  };

  const message = (desc: DescMessage): Schema => {
    const known = WELL_KNOWN[desc.typeName];
    if (known !== undefined) return known;
    if (components[desc.typeName] === undefined) {
      const properties: Record<string, Schema> = {};
      components[desc.typeName] = { ...described(docs[desc.typeName]), type: "object", properties, additionalProperties: false }; // before recursing: messages may nest themselves
      for (const f of desc.fields) {
        const doc = docs[`${desc.typeName}.${f.name}`];
        properties[useProtoFieldName ? f.name : f.jsonName] = {
          ...field(f),
          ...described(doc),
          ...(doc !== undefined && OUTPUT_ONLY.test(doc) ? { readOnly: true } : {}),
        };
      }
    }
    return ref(desc.typeName);
  };

  const single = (kind: { scalar?: ScalarType | undefined; enum?: DescEnum | undefined; message?: DescMessage | undefined }): Schema => {
    if (kind.message !== undefined) return message(kind.message);
    if (kind.enum !== undefined) return enumSchema(kind.enum);
    return SCALARS[kind.scalar ?? ScalarType.STRING];
  };

  const field = (f: DescField): Schema => {
    switch (f.fieldKind) {
      case "scalar":
        return SCALARS[f.scalar];
      case "enum":
        return enumSchema(f.enum);
      case "message":
        return message(f.message);
      case "list":
        return { type: "array", items: single(f) };
      case "map":
        // Map keys are always strings in JSON, whatever their proto type.
        return { type: "object", additionalProperties: single(f) };
    }
  };

  return { message, field, components };
}

/** `{ description }` of a documented element, `{}` of an undocumented one. */
export const described = (doc: string | undefined): Schema => (doc === undefined ? {} : { description: doc });
