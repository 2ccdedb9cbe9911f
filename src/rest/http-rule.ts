/**
 * Reading the google.api.http option of RPC descriptors.
 *
 * Each RPC may carry one HttpRule with any number of additional_bindings; every rule with a
 * pattern becomes one HttpBinding. Nested additional_bindings (bindings of an additional binding)
 * are ignored, as the google.api.http specification requires.
 */
import { getOption, hasOption } from "@bufbuild/protobuf";
import type { DescMethod } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";

/** One HTTP binding of an RPC: an HTTP method, a path template and the body mapping. */
export interface HttpBinding {
  /** The RPC the binding calls. */
  readonly rpc: DescMethod;
  /** Upper-case HTTP method: GET, PUT, POST, DELETE, PATCH, or a custom kind. */
  readonly httpMethod: string;
  /** The path template exactly as written in the rule, e.g. "/v1/{name=shelves/*}". */
  readonly pathTemplate: string;
  /** "" (no body), "*" (the whole request), or the proto name of a top-level request field. */
  readonly body: string;
  /** "" (the whole response) or the proto name of a top-level response field. */
  readonly responseBody: string;
  /** 0 for the rule itself, 1.. for its additional_bindings in declaration order. */
  readonly bindingIndex: number;
}

/** Returns the HTTP bindings of a method; empty when it has no google.api.http option. */
export function readHttpBindings(rpc: DescMethod): HttpBinding[] {
  if (!hasOption(rpc, http)) {
    return [];
  }
  const rule = getOption(rpc, http);
  const rules: HttpRule[] = [rule, ...rule.additionalBindings];
  const bindings: HttpBinding[] = [];
  rules.forEach((r, bindingIndex) => {
    const pattern = readPattern(r);
    if (pattern === undefined) {
      if (bindingIndex === 0 && rule.additionalBindings.length > 0) {
        return; // a rule with only additional_bindings is allowed
      }
      throw new Error(`${rpc.parent.typeName}.${rpc.name}: google.api.http rule without a pattern`);
    }
    bindings.push({
      rpc,
      httpMethod: pattern.method,
      pathTemplate: pattern.path,
      body: r.body,
      responseBody: r.responseBody,
      bindingIndex,
    });
  });
  return bindings;
}

/** The HTTP method and path of a rule's pattern, or undefined if no pattern is set. */
function readPattern(rule: HttpRule): { method: string; path: string } | undefined {
  switch (rule.pattern.case) {
    case "get":
      return { method: "GET", path: rule.pattern.value };
    case "put":
      return { method: "PUT", path: rule.pattern.value };
    case "post":
      return { method: "POST", path: rule.pattern.value };
    case "delete":
      return { method: "DELETE", path: rule.pattern.value };
    case "patch":
      return { method: "PATCH", path: rule.pattern.value };
    case "custom": {
      const kind = rule.pattern.value.kind.trim().toUpperCase();
      if (!/^[A-Z0-9!#$%&'*+.^_`|~-]+$/.test(kind)) {
        throw new Error(`invalid custom HTTP method "${rule.pattern.value.kind}"`);
      }
      return { method: kind, path: rule.pattern.value.path };
    }
    case undefined:
      return undefined;
  }
}
