/**
 * The route table: all HTTP bindings of a set of services, compiled once and sorted most specific
 * first, and the lookup of a request's method and path in it.
 */
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { readHttpBindings } from "./http-rule.js";
import { matchPathTemplate } from "./path-match.js";
import { compileRoute, type RestRoute } from "./rest-route.js";
import { compareTemplates, templateShape } from "./route-order.js";

/** Public description of a route, e.g. for an OpenAPI generator. */
export interface RestRouteInfo {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path template as written in the google.api.http rule (without any handler prefix). */
  readonly pathTemplate: string;
  /** The RPC the route calls. */
  readonly rpc: DescMethodUnary;
  /** "" (no body), "*" or a request field name. */
  readonly body: string;
  /** "" (whole response) or a response field name. */
  readonly responseBody: string;
}

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

/** Lists the routes of `services` in matching order (same validation as createRestHandler). */
export function listRestRoutes(services: readonly DescService[]): RestRouteInfo[] {
  return compileRoutes(services).map(routeInfo);
}

/** The public description of a compiled route. */
export function routeInfo(route: RestRoute): RestRouteInfo {
  return {
    method: route.httpMethod,
    pathTemplate: route.template.source,
    rpc: route.rpc,
    body: route.binding.body,
    responseBody: route.binding.responseBody,
  };
}
