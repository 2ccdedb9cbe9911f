/**
 * Matching request paths against parsed path templates and extracting variable values.
 *
 * Percent-decoding follows google.api.http: a single-segment variable (`{x}`, `{x=*}`) is fully
 * decoded, so "%2F" becomes part of the value; a multi-segment variable (`{x=a/*}`, `{x=**}`)
 * is decoded except that "%2F"/"%2f" stay encoded, so the value's "/" are real separators.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { PathTemplate, TemplateVariable } from "./path-template.js";

/** A variable of a matched route with its decoded value. */
export interface BoundVariable {
  /** The template variable. */
  readonly variable: TemplateVariable;
  /** The percent-decoded value. */
  readonly value: string;
}

/**
 * Matches a raw request path (starting with "/", without query) against a template.
 * Returns the raw (still percent-encoded) request segments, or undefined when it does not match.
 */
export function matchPathTemplate(template: PathTemplate, rawPath: string): string[] | undefined {
  if (!rawPath.startsWith("/")) return undefined;
  let path = rawPath.slice(1);
  if (template.verb !== undefined) {
    const suffix = ":" + template.verb;
    if (!path.endsWith(suffix)) return undefined;
    path = path.slice(0, -suffix.length);
  }
  const request = path.split("/");
  const segments = template.segments;
  const deep = segments.length > 0 && segments[segments.length - 1]!.kind === "deep-wildcard";
  const fixed = deep ? segments.length - 1 : segments.length;
  if (deep ? request.length < fixed : request.length !== fixed) {
    return undefined; // "**" matches zero or more segments, everything else exactly one
  }
  for (let i = 0; i < fixed; i++) {
    const t = segments[i]!;
    const r = request[i]!;
    if (t.kind === "literal" ? safeDecode(r) !== t.value : r === "") {
      return undefined;
    }
  }
  return request;
}

/** Extracts and decodes the variables of a matched template; throws INVALID_ARGUMENT on bad escapes. */
export function bindVariables(template: PathTemplate, request: readonly string[]): BoundVariable[] {
  const last = template.segments.length;
  return template.variables.map((variable) => {
    const end = variable.end === last ? request.length : variable.end;
    const raw = request.slice(variable.start, end);
    const value = variable.multiSegment
      ? raw.map(decodeKeepingSlashes).join("/")
      : decodeStrict(raw.join("/"));
    return { variable, value };
  });
}

/** Decodes a segment, leaving "%2F" encoded. */
function decodeKeepingSlashes(segment: string): string {
  return segment
    .split(/%2F/i)
    .map((piece) => decodeStrict(piece))
    .join("%2F");
}

/** decodeURIComponent that reports malformed escapes as INVALID_ARGUMENT. */
function decodeStrict(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ConnectError(`malformed percent-encoding in URL path: "${s}"`, Code.InvalidArgument);
  }
}

/** decodeURIComponent that returns undefined for malformed escapes. */
function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
