/**
 * HTTP/JSON transcoding (google.api.http) driven by compiled descriptors: the public API.
 */
export { createRestHandler } from "./rest-handler.js";
export type { RestHandler, RestHandlerOptions } from "./rest-handler.js";
export { listRestRoutes } from "./route-table.js";
export type { RestRouteInfo } from "./route-table.js";
export { readHttpBindings } from "./http-rule.js";
export type { HttpBinding } from "./http-rule.js";
export { parsePathTemplate } from "./path-template.js";
export type { PathTemplate, TemplateSegment, TemplateVariable } from "./path-template.js";
export { httpStatusForCode } from "./rest-error.js";
export type { RestErrorBody } from "./rest-error.js";
export type { RestHttpRequest, RestHttpResponse } from "./http-exchange.js";
