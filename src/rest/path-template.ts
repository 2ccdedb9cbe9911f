/**
 * Parser for google.api.http path templates:
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 *
 * "**" matches zero or more segments and must be the last segment of the template.
 */

/** One segment of a parsed template: a literal, `*` (one segment) or `**` (any number). */
export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "deep-wildcard" };

/** A variable of a template: the field path it binds and the template segments it spans. */
export interface TemplateVariable {
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
