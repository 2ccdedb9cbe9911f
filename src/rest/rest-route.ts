/**
 * Compiling one HTTP binding into a route: the parsed template plus the request and response
 * fields it refers to, all resolved and validated once, when the handler is built.
 */
import type { DescField, DescMessage, DescMethodUnary } from "@bufbuild/protobuf";
import { isStringSettable, resolveFieldPath, type FieldPath } from "./field-path.js";
import type { HttpBinding } from "./http-rule.js";
import { parsePathTemplate, type PathTemplate } from "./path-template.js";

/** A compiled REST route. */
export interface RestRoute {
  /** The unary RPC the route calls. */
  readonly rpc: DescMethodUnary;
  /** Upper-case HTTP method. */
  readonly httpMethod: string;
  /** The parsed path template. */
  readonly template: PathTemplate;
  /** The request field path bound by each template variable, aligned with template.variables. */
  readonly variableFields: readonly FieldPath[];
  /** "none", "all" (body "*"), or "field" (body names bodyField). */
  readonly bodyKind: "none" | "all" | "field";
  /** The request field carried by the body when bodyKind is "field". */
  readonly bodyField: DescField | undefined;
  /** The response field returned as the body (response_body), or undefined for the whole message. */
  readonly responseField: DescField | undefined;
  /** The binding the route was compiled from. */
  readonly binding: HttpBinding;
}

/**
 * Compiles a binding; returns undefined for streaming RPCs (not transcoded) and throws an Error
 * naming the RPC when the rule is invalid (bad template, unknown field, non-scalar variable).
 */
export function compileRoute(binding: HttpBinding): RestRoute | undefined {
  if (binding.rpc.methodKind !== "unary") {
    return undefined;
  }
  const rpc = binding.rpc as DescMethodUnary;
  const where = `${rpc.parent.typeName}.${rpc.name} (${binding.httpMethod} ${binding.pathTemplate})`;
  try {
    const template = parsePathTemplate(binding.pathTemplate);
    const variableFields = template.variables.map((v) => {
      const res = resolveFieldPath(rpc.input, v.fieldPath, false);
      if (!res.ok) throw new Error(`path variable "${v.fieldPath.join(".")}": ${res.reason}`);
      const leaf = res.fields[res.fields.length - 1]!;
      if (leaf.fieldKind === "list" || !isStringSettable(leaf)) {
        throw new Error(`path variable "${v.fieldPath.join(".")}" must be a singular scalar field`);
      }
      return res.fields;
    });
    const bodyKind = binding.body === "" ? "none" : binding.body === "*" ? "all" : "field";
    const bodyField = bodyKind === "field" ? topLevelField(rpc.input, binding.body, "body") : undefined;
    const responseField = binding.responseBody === "" ? undefined : topLevelField(rpc.output, binding.responseBody, "response_body");
    return { rpc, httpMethod: binding.httpMethod, template, variableFields, bodyKind, bodyField, responseField, binding };
  } catch (e) {
    throw new Error(`google.api.http of ${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** A top-level field named by its proto name, or an Error. */
function topLevelField(message: DescMessage, name: string, option: string): DescField {
  const field = message.fields.find((f) => f.name === name);
  if (field === undefined) {
    throw new Error(`${option} "${name}" is not a field of ${message.typeName}`);
  }
  return field;
}
