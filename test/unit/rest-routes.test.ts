import { Code, ConnectError } from "@connectrpc/connect";
import { RestTestService } from "../../gen/resttest/v1/rest_test_pb.js";
import type { DescService } from "@bufbuild/protobuf";
import { errorCodeName } from "../../src/convert/error-code.js";
import { readHttpBindings } from "../../src/rest/http-rule.js";
import { bodyTooLarge } from "../../src/rest/request-body.js";
import { httpStatusForCode, toRestError, withHttpStatus } from "../../src/rest/rest-error.js";
import { compileRoutes, findRoute } from "../../src/rest/route-table.js";

/** The compiled routes in matching order, as method, template, RPC and body mapping. */
function listRestRoutes(services: readonly DescService[]) {
  return compileRoutes(services).map((route) => ({
    method: route.httpMethod,
    pathTemplate: route.template.source,
    rpc: route.rpc,
    body: route.binding.body,
    responseBody: route.binding.responseBody,
  }));
}

describe("readHttpBindings", () => {
  it("reads the rule, every verb, body, response_body and additional_bindings", () => {
    const m = RestTestService.method;
    expect(readHttpBindings(m.getThing).map((b) => [b.httpMethod, b.pathTemplate, b.bindingIndex])).toEqual([
      ["GET", "/v1/things/{thing_id}", 0],
      ["GET", "/v1/owners/{owner}/things/{thing_id}", 1],
    ]);
    expect(readHttpBindings(m.updateThing).map((b) => [b.httpMethod, b.pathTemplate, b.body])).toEqual([
      ["PATCH", "/v1/things/{thing.thing_id}", "thing"],
      ["PUT", "/v1/things/{thing.thing_id}", "thing"],
    ]);
    expect(readHttpBindings(m.deleteThing).map((b) => b.httpMethod)).toEqual(["DELETE"]);
    expect(readHttpBindings(m.claimThing).map((b) => [b.httpMethod, b.body])).toEqual([["POST", "*"]]);
    expect(readHttpBindings(m.listBooks).map((b) => [b.pathTemplate, b.responseBody])).toEqual([
      ["/v1/shelves/{shelf}/books", "books"],
      ["/v1/books", "books"],
    ]);
    expect(readHttpBindings(m.purgeCache).map((b) => [b.httpMethod, b.pathTemplate])).toEqual([["PURGE", "/v1/cache/{key}"]]);
  });
});

describe("listRestRoutes", () => {
  it("lists every binding, most specific first", () => {
    const routes = listRestRoutes([RestTestService]);
    expect(routes.map((r) => `${r.method} ${r.pathTemplate} ${r.rpc.name}`)).toEqual([
      "POST /v1/things:claim ClaimThing",
      "POST /v1/things/{thing_id}:rotate RotateThing",
      "POST /v1/things CreateThing",
      "GET /v1/books ListBooks",
      "GET /v1/search Search",
      "GET /v1/things/{thing_id} GetThing",
      "PATCH /v1/things/{thing.thing_id} UpdateThing",
      "PUT /v1/things/{thing.thing_id} UpdateThing",
      "DELETE /v1/things/{thing_id} DeleteThing",
      "PURGE /v1/cache/{key} PurgeCache",
      "POST /v1/shelves/{book.shelf.id}/books CreateBook",
      "GET /v1/shelves/{shelf}/books ListBooks",
      "GET /v1/owners/{owner}/things/{thing_id} GetThing",
      "GET /v1/{name=shelves/*/books/*} GetBook",
      "GET /v1/files/{path=**} GetFile",
    ]);
    expect(routes.find((r) => r.rpc.name === "ListBooks")).toMatchObject({ body: "", responseBody: "books" });
    expect(routes.find((r) => r.rpc.name === "CreateThing")).toMatchObject({ body: "thing", responseBody: "" });
  });

  it("rejects two bindings that match the same paths with the same method", () => {
    expect(() => compileRoutes([RestTestService, RestTestService])).toThrow(
      "google.api.http: GET /v1/things/{thing_id} of resttest.v1.RestTestService.GetThing conflicts with /v1/things/{thing_id}",
    );
  });
});

describe("findRoute", () => {
  const routes = compileRoutes([RestTestService]);
  const found = (method: string, path: string): string => {
    const r = findRoute(routes, method, path);
    return r.kind === "found" ? `${r.route.rpc.name} ${r.route.template.source}` : r.kind;
  };

  it("lets custom verbs coexist with variables", () => {
    expect(found("POST", "/v1/things:claim")).toBe("ClaimThing /v1/things:claim");
    expect(found("POST", "/v1/things/t1:rotate")).toBe("RotateThing /v1/things/{thing_id}:rotate");
    expect(found("GET", "/v1/things/t1")).toBe("GetThing /v1/things/{thing_id}");
    expect(found("GET", "/v1/things/t1:rotate")).toBe("GetThing /v1/things/{thing_id}");
    expect(found("POST", "/v1/things")).toBe("CreateThing /v1/things");
  });

  it("prefers literals over variables", () => {
    expect(found("GET", "/v1/shelves/s1/books")).toBe("ListBooks /v1/shelves/{shelf}/books");
    expect(found("GET", "/v1/shelves/s1/books/b1")).toBe("GetBook /v1/{name=shelves/*/books/*}");
  });

  it("reports the allowed methods of a path that matches with another method", () => {
    expect(findRoute(routes, "POST", "/v1/things/t1")).toEqual({
      kind: "method-not-allowed",
      allow: ["DELETE", "GET", "PATCH", "PUT"],
    });
    expect(findRoute(routes, "GET", "/v1/things:claim")).toEqual({ kind: "method-not-allowed", allow: ["POST"] });
    expect(findRoute(routes, "GET", "/v2/things")).toEqual({ kind: "not-found" });
  });
});

describe("error mapping", () => {
  it.each([
    [Code.Canceled, 499, "CANCELLED"],
    [Code.Unknown, 500, "UNKNOWN"],
    [Code.InvalidArgument, 400, "INVALID_ARGUMENT"],
    [Code.DeadlineExceeded, 504, "DEADLINE_EXCEEDED"],
    [Code.NotFound, 404, "NOT_FOUND"],
    [Code.AlreadyExists, 409, "ALREADY_EXISTS"],
    [Code.PermissionDenied, 403, "PERMISSION_DENIED"],
    [Code.ResourceExhausted, 429, "RESOURCE_EXHAUSTED"],
    [Code.FailedPrecondition, 400, "FAILED_PRECONDITION"],
    [Code.Aborted, 409, "ABORTED"],
    [Code.OutOfRange, 400, "OUT_OF_RANGE"],
    [Code.Unimplemented, 501, "UNIMPLEMENTED"],
    [Code.Internal, 500, "INTERNAL"],
    [Code.Unavailable, 503, "UNAVAILABLE"],
    [Code.DataLoss, 500, "DATA_LOSS"],
    [Code.Unauthenticated, 401, "UNAUTHENTICATED"],
  ])("maps code %s to HTTP %s and %s", (code, status, name) => {
    expect(httpStatusForCode(code)).toBe(status);
    expect(errorCodeName(code)).toBe(name);
    const res = toRestError(new ConnectError("boom", code, { "retry-after": "7", "content-type": "application/proto" }));
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ code: name, message: "boom" });
    expect([...res.headers]).toEqual([["retry-after", "7"]]);
  });

  it("hides the message of non-Connect errors and honours status overrides", () => {
    expect(toRestError(new Error("secret detail"))).toMatchObject({
      status: 500,
      body: { code: "INTERNAL", message: "internal error" },
    });
    expect(toRestError(withHttpStatus(new ConnectError("nope", Code.Unimplemented), 405)).status).toBe(405);
    expect(toRestError(bodyTooLarge(10))).toMatchObject({
      status: 413,
      body: { code: "RESOURCE_EXHAUSTED", message: "request body exceeds 10 bytes" },
    });
  });
});
