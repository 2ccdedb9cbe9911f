import { Validator } from "@seriousme/openapi-schema-validator";
import { RestTestService } from "../../gen/resttest/v1/rest_test_pb.js";
import { createOpenApiDocument } from "../../src/rest/openapi.js";

type Json = Record<string, any>;

const doc = createOpenApiDocument({
  services: [RestTestService],
  info: { title: "REST test", version: "1" },
  securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
  securityOf: (rpc) => (rpc.name === "ClaimThing" ? [] : ["bearerAuth"]),
}) as Json;
const op = (path: string, method: string): Json => doc["paths"][path][method];
const param = (operation: Json, name: string): Json => operation["parameters"].find((p: Json) => p["name"] === name);
const schema = (typeName: string): Json => doc["components"]["schemas"][typeName];

describe("createOpenApiDocument", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc["openapi"]).toBe("3.1.0");
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs))
      expect({ ref, resolves: doc["components"]["schemas"][ref.split("/").pop()!.slice(0, -1)] !== undefined }).toEqual({ ref, resolves: true });
  });

  it("has one operation per binding; variables named by their field, custom methods left out", () => {
    const operations = Object.entries(doc["paths"] as Json).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        "DELETE /v1/things/{thing_id}",
        "GET /v1/books",
        "GET /v1/files/{path}",
        "GET /v1/owners/{owner}/things/{thing_id}",
        "GET /v1/search",
        "GET /v1/shelves/{id}/books", // ListBooks' {shelf} shares the path item of CreateBook's {book.shelf.id}
        "GET /v1/things/{thing_id}",
        "GET /v1/{name}",
        "PATCH /v1/things/{thing_id}",
        "POST /v1/shelves/{id}/books",
        "POST /v1/things",
        "POST /v1/things/{thing_id}:rotate",
        "POST /v1/things:claim",
        "PUT /v1/things/{thing_id}",
      ].sort(),
    );
    expect(op("/v1/things/{thing_id}", "get")["operationId"]).toBe("RestTestService_GetThing");
    expect(op("/v1/owners/{owner}/things/{thing_id}", "get")["operationId"]).toBe("RestTestService_GetThing_1");
    expect(param(op("/v1/things/{thing_id}", "patch"), "thing_id")).toMatchObject({ in: "path", required: true, description: "The request's thing.thing_id." });
    expect(param(op("/v1/shelves/{id}/books", "get"), "id")).toMatchObject({ in: "path", description: "The request's shelf." });
    expect(param(op("/v1/{name}", "get"), "name")["description"]).toContain('may contain "/"');
  });

  it("query parameters are the fields neither in the path nor in the body", () => {
    const names = (operation: Json) => operation["parameters"].filter((p: Json) => p["in"] === "query").map((p: Json) => p["name"]);
    expect(names(op("/v1/things/{thing_id}", "get"))).toEqual(["owner"]);
    expect(names(op("/v1/owners/{owner}/things/{thing_id}", "get"))).toEqual([]);
    expect(names(op("/v1/things/{thing_id}", "patch"))).toEqual(["update_mask"]);
    expect(names(op("/v1/things", "post"))).toEqual(["request_id", "validate_only"]);
    expect(names(op("/v1/things:claim", "post"))).toEqual([]);
    const search = op("/v1/search", "get");
    expect(param(search, "int64_value")["schema"]).toMatchObject({ type: "string", format: "int64" });
    expect(param(search, "uint32_value")["schema"]).toMatchObject({ type: "integer", minimum: 0 });
    expect(param(search, "bytes_value")["schema"]).toEqual({ type: "string", contentEncoding: "base64" });
    expect(param(search, "color")["schema"]).toEqual({ $ref: "#/components/schemas/resttest.v1.Color" });
    expect(param(search, "tags")).toMatchObject({ explode: true, schema: { type: "array", items: { type: "string" } } });
    expect(param(search, "filter.range.max")["schema"]).toMatchObject({ type: "string", format: "int64" });
    expect(param(search, "since")["schema"]).toEqual({ type: "string", format: "date-time" });
    expect(param(search, "read_mask")["schema"]).toMatchObject({ type: "string" });
    expect(param(search, "archived")["schema"]).toEqual({ type: ["boolean", "null"] });
    expect(param(search, "filter")).toBeUndefined();
  });

  it("request bodies, response bodies and schemas follow proto3 JSON with proto field names", () => {
    const json = (o: Json, where: "requestBody" | "200") =>
      (where === "requestBody" ? o["requestBody"] : o["responses"]["200"])["content"]["application/json"]["schema"];
    expect(json(op("/v1/things/{thing_id}", "patch"), "requestBody")).toEqual({ $ref: "#/components/schemas/resttest.v1.Thing" });
    expect(json(op("/v1/things:claim", "post"), "requestBody")).toEqual({ $ref: "#/components/schemas/resttest.v1.ClaimThingRequest" });
    expect(op("/v1/things/{thing_id}", "get")["requestBody"]).toBeUndefined();
    expect(json(op("/v1/books", "get"), "200")).toEqual({ type: "array", items: { $ref: "#/components/schemas/resttest.v1.Book" } });
    expect(json(op("/v1/things/{thing_id}", "delete"), "200")).toEqual({ type: "object", additionalProperties: false });
    for (const status of ["4XX", "5XX"])
      expect(op("/v1/things", "post")["responses"][status]["content"]["application/json"]["schema"]).toEqual({ $ref: "#/components/schemas/Error" });

    expect(schema("resttest.v1.Thing")["properties"]).toEqual({
      thing_id: { type: "string" },
      display_name: { type: "string" },
      color: { $ref: "#/components/schemas/resttest.v1.Color" },
      labels: { type: "array", items: { type: "string" } },
      owner: { type: "string" },
      note: { type: "string" },
      create_time: { type: "string", format: "date-time" },
    });
    expect(schema("resttest.v1.Color")).toEqual({ type: "string", enum: ["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_GREEN"] });
    expect(schema("resttest.v1.Book")["properties"]["shelf"]).toEqual({ $ref: "#/components/schemas/resttest.v1.Shelf" });
    expect(schema("Error")).toMatchObject({ required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } });
    expect(schema("Error")["properties"]["code"]["enum"]).toEqual(expect.arrayContaining(["INVALID_ARGUMENT", "ALREADY_EXISTS", "UNAUTHENTICATED"]));
  });

  it("each operation lists the security schemes it accepts", () => {
    expect(op("/v1/things", "post")["security"]).toEqual([{ bearerAuth: [] }]);
    expect(op("/v1/things:claim", "post")["security"]).toEqual([]);
    expect(doc["components"]["securitySchemes"]).toEqual({ bearerAuth: { type: "http", scheme: "bearer" } });
  });
});
