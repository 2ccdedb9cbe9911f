/**
 * HTTP/JSON transcoding (google.api.http) driven by compiled descriptors: the handler the server
 * serves the REST mapping with, and the OpenAPI document that describes it.
 */
export { createRestHandler } from "./rest-handler.js";
export { createOpenApiDocument, type OperationExamples } from "./openapi.js";
