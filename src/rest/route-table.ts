/**
 * The route table: all HTTP bindings of a set of services, compiled once and sorted most specific
 * first, and the lookup of a request's method and path in it.
 */
import type { DescService } from "@bufbuild/protobuf";
import { readHttpBindings } from "./http-rule.js";
import { compareTemplates, matchPathTemplate, templateShape } from "./path-template.js";
import { compileRoute, type RestRoute } from "./rest-route.js";

/** The result of looking a request up in the route table. */
export type RouteLookup =
  | { readonly kind: "found"; readonly route: RestRoute; readonly segments: readonly string[] }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] }
  | { readonly kind: "not-found" };

/**
 * Compiles the unary RPCs with google.api.http options of `services`, most specific first.
 * Throws an Error for an invalid rule or for two bindings of one HTTP method that match the
 * same paths.
 */
export function compileRoutes(services: readonly DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  const shapes = new Map<string, RestRoute>();
  for (const service of services) {
    for (const rpc of service.methods) {
      for (const binding of readHttpBindings(rpc)) {
        const route = compileRoute(binding);
        if (route === undefined) continue;
        const shape = `${route.httpMethod} ${templateShape(route.template)}`;
        const other = shapes.get(shape);
        if (other !== undefined) {
          throw new Error(
            `google.api.http: ${route.httpMethod} ${route.template.source} of ${rpc.parent.typeName}.${rpc.name} ` +
              `conflicts with ${other.template.source} of ${other.rpc.parent.typeName}.${other.rpc.name}`,
          );
        }
        shapes.set(shape, route);
        routes.push(route);
      }
    }
  }
  return routes.sort((a, b) => compareTemplates(a.template, b.template));
}

/** Finds the most specific route for a method and raw path (percent-encoded, without query). */
export function findRoute(routes: readonly RestRoute[], httpMethod: string, rawPath: string): RouteLookup {
  const allow = new Set<string>();
  for (const route of routes) {
    const segments = matchPathTemplate(route.template, rawPath);
    if (segments === undefined) continue;
    if (route.httpMethod === httpMethod) {
      return { kind: "found", route, segments };
    }
    allow.add(route.httpMethod);
  }
  return allow.size > 0 ? { kind: "method-not-allowed", allow: [...allow].sort() } : { kind: "not-found" };
}
