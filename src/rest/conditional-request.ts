/**
 * HTTP conditional requests over the `etag` field of the API's messages.
 *
 * - `If-Match: "7"` on a route whose request message has a top-level string `etag` (UpdateDevice,
 *   UpdateDeviceProfile) sets that field, so the RPC applies only if the resource is still at that
 *   version. A stale one fails like a stale `etag` field: ABORTED, HTTP 409, the same code on every
 *   protocol for the same condition (AIP-154's choice; 412 would make REST alone differ from the
 *   gRPC and Connect answers of the very same RPC).
 * - `If-Match: *` asks only that the resource exist, which every such RPC checks anyway.
 * - If-Match on a route without an etag, or with several entity tags, is INVALID_ARGUMENT rather
 *   than silently ignored; so is an If-Match that contradicts the `etag` of the query.
 * - A response whose JSON has a top-level string `etag` carries it as the ETag header.
 */
import { ScalarType, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http";
import type { RouteRequest } from "./request-message.js";
import type { RestRoute } from "./rest-route.js";

/** Sets the request's etag from If-Match, or throws INVALID_ARGUMENT for an If-Match it cannot honour. */
export function applyIfMatch(route: RestRoute, headers: IncomingHttpHeaders, message: RouteRequest): void {
  const header = headers["if-match"]?.trim();
  if (header === undefined || header === "*") return;
  const field = etagField(route.rpc.input);
  if (field === undefined) throw invalid(`If-Match is not supported by ${route.rpc.name}: it has no etag`);
  if (header.split(",").length > 1) throw invalid("If-Match must hold one entity tag");
  const fields = message as unknown as Record<string, unknown>;
  const current = fields[field.localName];
  if (current !== "" && current !== header && `"${String(current)}"` !== header) {
    throw invalid(`If-Match ${header} and the etag parameter ${String(current)} differ`);
  }
  fields[field.localName] = header;
}

/** The ETag header of a response JSON, or undefined. */
export function etagHeader(json: JsonValue): string | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const etag = json["etag"];
  return typeof etag === "string" && etag !== "" ? etag : undefined;
}

function etagField(schema: DescMessage): DescField | undefined {
  return schema.fields.find((f) => f.name === "etag" && f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
