/**
 * Specificity order of path templates, so that the most specific route wins deterministically:
 *
 * 1. a template with a custom verb before one without (so "/v1/things/{id}:rotate" is not
 *    swallowed by "/v1/things/{id}", which would bind id = "x:rotate");
 * 2. segment by segment, a literal before `*` before `**`;
 * 3. the template with fewer segments (only possible when the longer one ends in a `**` that
 *    matches nothing);
 * 4. otherwise declaration order (services, then methods, then bindings), by a stable sort.
 */
import type { PathTemplate, TemplateSegment } from "./path-template.js";

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
