/**
 * An OpenAPI 3.1 document of the REST mapping, generated from the same compiled routes the REST
 * handler serves: one operation per google.api.http binding, with its path and query parameters,
 * request body and response schema derived from the message descriptors.
 */
import type { DescMessage, DescMethod, DescService, JsonObject } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { fieldPathName, fieldPathsOverlap, isStringSettable, type FieldPath } from "./field-path.js";
import { createSchemaCollector, described, type Schema, type SchemaCollector } from "./openapi-schema.js";
import { errorCodeName } from "../convert/error-code.js";
import type { RestRoute } from "./rest-route.js";
import { compileRoutes } from "./route-table.js";

/** Options of {@link createOpenApiDocument}. */
export interface OpenApiOptions {
  /** Services whose google.api.http bindings are described (as given to createRestHandler). */
  readonly services: readonly DescService[];
  readonly info: { readonly title: string; readonly version: string; readonly description?: string; readonly license?: JsonObject };
  /** Security schemes by name, e.g. { bearerAuth: { type: "http", scheme: "bearer" } }. */
  readonly securitySchemes?: Readonly<Record<string, JsonObject>>;
  /** The schemes of which an RPC accepts any one; empty for none. Default: none. */
  readonly securityOf?: (rpc: DescMethod) => readonly string[];
  /** Proto field names in JSON, as the REST handler's jsonOptions (default true). */
  readonly useProtoFieldName?: boolean;
  /** Where the API is served; relative URLs resolve against the document's own URL. */
  readonly servers?: readonly JsonObject[];
  /** Proto comments by full name (protoc-gen-docs): summaries, descriptions, and readOnly for "Output only." fields. */
  readonly docs?: Readonly<Record<string, string>>;
  /** Example JSON of an RPC's request body, response and error responses (by HTTP status). */
  readonly examplesOf?: (rpc: DescMethod) => OperationExamples | undefined;
}

/** Examples of one operation, in the JSON the REST mapping speaks. */
export interface OperationExamples {
  readonly request?: JsonObject;
  readonly response?: JsonObject;
  /** Error bodies by HTTP status, e.g. { "409": { code: "ALREADY_EXISTS", message: "…" } }. */
  readonly errors?: Readonly<Record<string, JsonObject>>;
}

// OpenAPI 3.1 path items only have these operations; custom google.api.http methods are left out.
const OPERATIONS = new Set(["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]);

const ERROR_SCHEMA: Schema = {
  description: "The body of every error: the google.rpc.Code name and a message for humans.",
  type: "object",
  properties: {
    code: {
      type: "string",
      enum: Object.values(Code)
        .filter((c) => typeof c === "number")
        .map((c) => errorCodeName(c)),
    },
    message: { type: "string" },
  },
  required: ["code", "message"],
};

/** Builds the document; throws like createRestHandler on invalid google.api.http rules. */
export function createOpenApiDocument(options: OpenApiOptions): JsonObject {
  const schemas = createSchemaCollector(options.useProtoFieldName ?? true, options.docs);
  const paths: Record<string, Record<string, JsonObject>> = {};
  // OpenAPI forbids two paths that differ only in parameter names: the first route's names win.
  const namesByShape = new Map<string, readonly string[]>();
  for (const route of compileRoutes(options.services)) {
    if (!OPERATIONS.has(route.httpMethod)) continue;
    const path = openApiPath(route, schemas);
    const names = namesByShape.get(path.shape) ?? path.parameters.map((p) => p.name);
    namesByShape.set(path.shape, names);
    let n = 0;
    const key = path.shape.replace(/\{\}/g, () => `{${names[n++]}}`);
    const parameters = path.parameters.map((p, i): JsonObject => ({ ...p, name: names[i]! }));
    (paths[key] ??= {})[route.httpMethod.toLowerCase()] = operation(route, parameters, schemas, options);
  }
  return {
    openapi: "3.1.0",
    info: { ...options.info },
    ...(options.servers === undefined ? {} : { servers: [...options.servers] }),
    tags: options.services.map((service) => ({ name: service.name, ...described(options.docs?.[service.typeName]) })),
    paths,
    components: {
      schemas: { ...schemas.components, Error: ERROR_SCHEMA },
      securitySchemes: { ...options.securitySchemes },
    },
  };
}

/** One operation: parameters, request body, the response and the error responses. */
function operation(route: RestRoute, pathParameters: readonly JsonObject[], schemas: SchemaCollector, options: OpenApiOptions): JsonObject {
  const rpc = route.rpc;
  const doc = options.docs?.[`${rpc.parent.typeName}.${rpc.name}`];
  const examples = options.examplesOf?.(rpc);
  const op: JsonObject = {
    operationId: `${rpc.parent.name}_${rpc.name}${route.binding.bindingIndex > 0 ? `_${route.binding.bindingIndex}` : ""}`,
    summary: doc === undefined ? `${rpc.parent.name}.${rpc.name}` : firstSentence(doc),
    description: `${doc === undefined ? "" : `${doc}\n\n`}The RPC ${rpc.parent.typeName}/${rpc.name}.`,
    tags: [rpc.parent.name],
    security: (options.securityOf?.(rpc) ?? []).map((name) => ({ [name]: [] })),
    parameters: [...pathParameters, ...queryParameters(route, schemas, options.docs ?? {})],
    responses: {
      "200": {
        description: `The ${route.responseField?.name ?? rpc.output.name}.`,
        content: {
          "application/json": withExample(
            { schema: route.responseField ? schemas.field(route.responseField) : schemas.message(rpc.output) },
            examples?.response,
          ),
        },
      },
      "4XX": errorResponse(CLIENT_ERRORS, examples?.errors, (status) => status.startsWith("4")),
      "5XX": errorResponse(SERVER_ERRORS, examples?.errors, (status) => status.startsWith("5")),
    },
  };
  if (route.bodyKind !== "none") {
    const schema = route.bodyField ? schemas.field(route.bodyField) : schemas.message(rpc.input);
    op["requestBody"] = { required: true, content: { "application/json": withExample({ schema }, examples?.request) } };
  }
  return op;
}

const CLIENT_ERRORS =
  "A refused request: 400 INVALID_ARGUMENT (the message names the field), 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, " +
  "404 NOT_FOUND, 409 ALREADY_EXISTS or ABORTED, 412 FAILED_PRECONDITION (a stale etag), 413 (a body over the size limit), 429 RESOURCE_EXHAUSTED.";
const SERVER_ERRORS = "A failure of the service: 503 UNAVAILABLE (retry later, e.g. the database is down) or 500 INTERNAL.";

/** An error response with the {code, message} body and the examples whose status `matches`. */
function errorResponse(description: string, examples: Readonly<Record<string, JsonObject>> | undefined, matches: (status: string) => boolean): JsonObject {
  const chosen = Object.entries(examples ?? {}).filter(([status]) => matches(status));
  const media: JsonObject = { schema: { $ref: "#/components/schemas/Error" } };
  if (chosen.length > 0)
    media["examples"] = Object.fromEntries(chosen.map(([status, value]) => [String(value["code"] ?? status), { summary: `HTTP ${status}`, value }]));
  return { description, content: { "application/json": media } };
}

const withExample = (media: JsonObject, example: JsonObject | undefined): JsonObject => (example === undefined ? media : { ...media, example });

/** The first sentence of a comment, as an operation's one-line summary. */
function firstSentence(doc: string): string {
  const end = doc.search(/\.(\s|$)/);
  return end < 0 ? doc : doc.slice(0, end);
}

/**
 * The shape of a route's OpenAPI path ("/v1/things/{}:rotate") and its path parameters in order.
 * A variable is named after its field ("{device.device_id}" becomes "device_id"), so that
 * templates differing only in the variable's field path share a path item; unbound wildcards
 * become parameters too.
 */
function openApiPath(route: RestRoute, schemas: SchemaCollector): { shape: string; parameters: PathParameter[] } {
  const { segments, variables, verb } = route.template;
  const leafNames = variables.map((v) => v.fieldPath[v.fieldPath.length - 1]!);
  const parts: string[] = [];
  const parameters: PathParameter[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const v = variables.findIndex((x) => x.start === i);
    if (v >= 0) {
      const variable = variables[v]!;
      const leaf = leafNames[v]!;
      const fieldPath = route.variableFields[v]!;
      parameters.push({
        name: leafNames.indexOf(leaf) === leafNames.lastIndexOf(leaf) ? leaf : variable.fieldPath.join("."),
        in: "path",
        required: true,
        schema: schemas.field(fieldPath[fieldPath.length - 1]!),
        description: `The request's ${variable.fieldPath.join(".")}${variable.multiSegment ? ' (may contain "/")' : ""}.`,
      });
      i = variable.end - 1;
    } else if (segment.kind !== "literal") {
      parameters.push({ name: `segment${i}`, in: "path", required: true, schema: { type: "string" } });
    }
    parts.push(v >= 0 || segment.kind !== "literal" ? "{}" : segment.value);
  }
  return { shape: `/${parts.join("/")}${verb === undefined ? "" : `:${verb}`}`, parameters };
}

/** A path parameter of an operation. */
interface PathParameter extends JsonObject {
  name: string;
}

/**
 * Query parameters: every string-settable field not bound by the path and not in the body,
 * nested message fields by dotted names, repeated fields by repeating the parameter.
 */
function queryParameters(route: RestRoute, schemas: SchemaCollector, docs: Readonly<Record<string, string>>): JsonObject[] {
  if (route.bodyKind === "all") return [];
  const params: JsonObject[] = [];
  const walk = (message: DescMessage, parent: FieldPath) => {
    for (const field of message.fields) {
      const path = [...parent, field];
      if (path[0] === route.bodyField || route.variableFields.some((bound) => fieldPathsOverlap(bound, path))) continue;
      if (isStringSettable(field)) {
        const schema = schemas.field(field);
        params.push({
          name: fieldPathName(path),
          in: "query",
          ...described(docs[`${field.parent.typeName}.${field.name}`]),
          schema,
          ...(field.fieldKind === "list" ? { explode: true } : {}),
        });
      } else if (
        field.fieldKind === "message" &&
        !field.message.typeName.startsWith("google.protobuf.") &&
        !path.some((f) => f.parent === field.message) // a message nested in itself would never end
      ) {
        walk(field.message, path);
      }
    }
  };
  walk(route.rpc.input, []);
  return params;
}
