/**
 * google.api.http path templates: parsing, matching request paths, and ordering by specificity.
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 *
 * "**" matches zero or more segments and must be the last segment of the template.
 *
 * Percent-decoding follows google.api.http: a single-segment variable (`{x}`, `{x=*}`) is fully
 * decoded, so "%2F" becomes part of the value; a multi-segment variable (`{x=a/*}`, `{x=**}`)
 * is decoded except that "%2F"/"%2f" stay encoded, so the value's "/" are real separators.
 *
 * The most specific template wins, deterministically:
 *
 * 1. a template with a custom verb before one without (so "/v1/things/{id}:rotate" is not
 *    swallowed by "/v1/things/{id}", which would bind id = "x:rotate");
 * 2. segment by segment, a literal before `*` before `**`;
 * 3. the template with fewer segments (only possible when the longer one ends in a `**` that
 *    matches nothing);
 * 4. otherwise declaration order (services, then methods, then bindings), by a stable sort.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** One segment of a parsed template: a literal, `*` (one segment) or `**` (any number). */
type TemplateSegment = { readonly kind: "literal"; readonly value: string } | { readonly kind: "wildcard" } | { readonly kind: "deep-wildcard" };

/** A variable of a template: the field path it binds and the template segments it spans. */
interface TemplateVariable {
  /** Proto field names from the request message down, e.g. ["book", "shelf", "id"]. */
  readonly fieldPath: readonly string[];
  /** Index of the first template segment of the variable. */
  readonly start: number;
  /** Index after the last template segment of the variable. */
  readonly end: number;
  /** True for `{x=a/*}` or `{x=**}`: the value keeps "/" separators and "%2F" stays encoded. */
  readonly multiSegment: boolean;
}

/** A parsed path template. */
export interface PathTemplate {
  /** The template as written. */
  readonly source: string;
  /** Flat list of segments, variables expanded. */
  readonly segments: readonly TemplateSegment[];
  /** Variables in order of appearance. */
  readonly variables: readonly TemplateVariable[];
  /** The custom verb without ":" (e.g. "rotate"), or undefined. */
  readonly verb: string | undefined;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LITERAL = /^[^/{}*:=]+$/;

/** Parses a path template; throws an Error naming the template when it is invalid. */
export function parsePathTemplate(source: string): PathTemplate {
  const fail = (why: string): never => {
    throw new Error(`invalid path template "${source}": ${why}`);
  };
  if (!source.startsWith("/")) fail('must start with "/"');
  let path = source.slice(1);
  let verb: string | undefined;
  const colon = lastTopLevelColon(path);
  if (colon >= 0) {
    verb = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!LITERAL.test(verb)) fail("invalid custom verb");
  }
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  for (const part of splitTopLevel(path, fail)) {
    if (part.startsWith("{")) {
      if (!part.endsWith("}")) fail(`unterminated variable "${part}"`);
      const inner = part.slice(1, -1);
      const eq = inner.indexOf("=");
      const fieldPath = (eq < 0 ? inner : inner.slice(0, eq)).split(".");
      if (!fieldPath.every((p) => IDENT.test(p))) fail(`invalid field path in "${part}"`);
      const sub = eq < 0 ? ["*"] : inner.slice(eq + 1).split("/");
      const start = segments.length;
      for (const s of sub) segments.push(parseSegment(s, fail));
      const multiSegment = sub.length > 1 || sub[0] === "**";
      variables.push({ fieldPath, start, end: segments.length, multiSegment });
    } else {
      segments.push(parseSegment(part, fail));
    }
  }
  const deep = segments.findIndex((s) => s.kind === "deep-wildcard");
  if (deep >= 0 && deep !== segments.length - 1) fail('"**" must be the last segment');
  const seen = new Set<string>();
  for (const v of variables) {
    const key = v.fieldPath.join(".");
    if (seen.has(key)) fail(`field "${key}" bound twice`);
    seen.add(key);
  }
  return { source, segments, variables, verb };
}

/** Parses one segment that is not a variable. */
function parseSegment(s: string, fail: (why: string) => never): TemplateSegment {
  if (s === "*") return { kind: "wildcard" };
  if (s === "**") return { kind: "deep-wildcard" };
  if (!LITERAL.test(s)) fail(s === "" ? "empty segment" : `invalid segment "${s}"`);
  return { kind: "literal", value: s };
}

/** Splits on "/" outside braces. */
function splitTopLevel(path: string, fail: (why: string) => never): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "{") {
      if (++depth > 1) fail("nested variables");
    } else if (c === "}") {
      if (--depth < 0) fail('unbalanced "}"');
    } else if (c === "/" && depth === 0) {
      parts.push(path.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) fail('unbalanced "{"');
  parts.push(path.slice(start));
  return parts;
}

/** Index of the verb's ":" (outside braces, after the last top-level "/"), or -1. */
function lastTopLevelColon(path: string): number {
  let depth = 0;
  let colon = -1;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (depth === 0 && c === "/") colon = -1;
    else if (depth === 0 && c === ":") colon = i;
  }
  return colon;
}

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
    const value = variable.multiSegment ? raw.map(decodeKeepingSlashes).join("/") : decodeStrict(raw.join("/"));
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

/** Negative when `a` is more specific than `b`, positive when less, 0 when equally specific. */
export function compareTemplates(a: PathTemplate, b: PathTemplate): number {
  const verb = Number(a.verb === undefined) - Number(b.verb === undefined);
  if (verb !== 0) return verb;
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = rank(a.segments[i]!) - rank(b.segments[i]!);
    if (d !== 0) return d;
  }
  return a.segments.length - b.segments.length;
}

/**
 * A key equal for two templates exactly when they match the same paths (variable names aside),
 * used to reject ambiguous bindings of the same HTTP method.
 */
export function templateShape(t: PathTemplate): string {
  const parts = t.segments.map((s) => (s.kind === "literal" ? `=${s.value}` : s.kind === "wildcard" ? "*" : "**"));
  return "/" + parts.join("/") + (t.verb === undefined ? "" : `:${t.verb}`);
}

/** 0 for a literal, 1 for `*`, 2 for `**`. */
function rank(s: TemplateSegment): number {
  return s.kind === "literal" ? 0 : s.kind === "wildcard" ? 1 : 2;
}
