import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import type { Message } from "@bufbuild/protobuf";
import { Color, RestTestService, ThingSchema } from "../../gen/resttest/v1/rest_test_pb.js";
import type {
  CreateBookRequest,
  CreateThingRequest,
  DeleteThingRequest,
  GetThingRequest,
  SearchRequest,
  UpdateThingRequest,
} from "../../gen/resttest/v1/rest_test_pb.js";
import type { NodeRequest, NodeResponse } from "../../src/node-http.js";
import { createRestHandler } from "../../src/rest/index.js";
import type { RestHandler } from "../../src/rest/rest-handler.js";
import { createUnaryDispatch } from "../../src/dispatch/unary-dispatch.js";

const TOKEN = "Bearer good-token";

/** What the test service last received. */
let last: { rpc: string; request: Message; headers: Headers } | undefined;

function lastRequest<T extends Message>(rpc: string): T {
  expect(last?.rpc).toBe(rpc);
  return last!.request as T;
}

/** Server-side interceptor standing in for authentication: proves calls run through the router. */
const auth: Interceptor = (next) => async (req) => {
  if (req.header.get("authorization") !== TOKEN) {
    throw new ConnectError("missing or invalid token", Code.Unauthenticated, { "www-authenticate": "Bearer" });
  }
  return next(req);
};

function routes(router: ConnectRouter): void {
  router.service(RestTestService, {
    getThing(req, ctx) {
      last = { rpc: "GetThing", request: req, headers: ctx.requestHeader };
      if (req.thingId === "dup") throw new ConnectError("thing dup already exists", Code.AlreadyExists);
      if (req.thingId === "missing") throw new ConnectError("thing missing not found", Code.NotFound);
      if (req.thingId === "busy") throw new ConnectError("slow down", Code.ResourceExhausted, { "retry-after": "30" });
      ctx.responseHeader.set("x-request-id", ctx.requestHeader.get("x-request-id") ?? "generated");
      ctx.responseTrailer.set("x-trailer-info", "t");
      return { thingId: req.thingId, owner: req.owner, color: Color.RED };
    },
    createThing(req, ctx) {
      last = { rpc: "CreateThing", request: req, headers: ctx.requestHeader };
      return { ...(req.thing ?? create(ThingSchema)), note: `request_id=${req.requestId} validate_only=${req.validateOnly}` };
    },
    updateThing(req, ctx) {
      last = { rpc: "UpdateThing", request: req, headers: ctx.requestHeader };
      return { ...(req.thing ?? create(ThingSchema)), note: req.updateMask?.paths.join(",") ?? "" };
    },
    deleteThing(req, ctx) {
      last = { rpc: "DeleteThing", request: req, headers: ctx.requestHeader };
      return {};
    },
    claimThing(req, ctx) {
      last = { rpc: "ClaimThing", request: req, headers: ctx.requestHeader };
      return { thingId: "claimed", owner: req.owner, note: req.token };
    },
    rotateThing(req, ctx) {
      last = { rpc: "RotateThing", request: req, headers: ctx.requestHeader };
      return { thingId: req.thingId, note: `rotate:${req.reason}` };
    },
    createBook(req, ctx) {
      last = { rpc: "CreateBook", request: req, headers: ctx.requestHeader };
      return req.book ?? {};
    },
    getBook(req, ctx) {
      last = { rpc: "GetBook", request: req, headers: ctx.requestHeader };
      return { name: req.name };
    },
    listBooks(req, ctx) {
      last = { rpc: "ListBooks", request: req, headers: ctx.requestHeader };
      const books = Array.from({ length: req.pageSize }, (_, i) => ({ name: `shelves/${req.shelf}/books/${i + 1}` }));
      return { books, nextPageToken: "next" };
    },
    getFile(req, ctx) {
      last = { rpc: "GetFile", request: req, headers: ctx.requestHeader };
      return { path: req.path };
    },
    search(req, ctx) {
      last = { rpc: "Search", request: req, headers: ctx.requestHeader };
      return { request: req };
    },
    purgeCache(req, ctx) {
      last = { rpc: "PurgeCache", request: req, headers: ctx.requestHeader };
      return { key: req.key, purged: 3n };
    },
  });
}

const dispatch = createUnaryDispatch(routes, [auth]);
const handler = createRestHandler({ services: [RestTestService], dispatch, readMaxBytes: 1024 });
const prefixed = underPrefix(
  "/api",
  createRestHandler({ services: [RestTestService], dispatch, jsonOptions: { useProtoFieldName: false, enumAsInteger: true } }),
);

/** Serves `handler` below `prefix`, as a server that mounts the mapping under a path would. */
function underPrefix(prefix: string, handler: RestHandler): RestHandler {
  return async (req, res) => {
    const url = req.url ?? "/";
    if (!url.startsWith(`${prefix}/`)) return false;
    req.url = url.slice(prefix.length);
    return handler(req, res);
  };
}

/** Results of the handlers per request, to prove that unmatched requests resolve to false. */
const handled: boolean[] = [];

/** Serves the handlers in order; answers 404 itself when none handles the request. */
async function serve(handlers: RestHandler[], req: NodeRequest, res: NodeResponse): Promise<void> {
  for (const h of handlers) {
    const done = await h(req, res);
    handled.push(done);
    if (done) return;
  }
  res.statusCode = 404;
  res.setHeader("content-type", "text/plain");
  res.end("fallthrough 404");
}

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => void serve([prefixed, handler], req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  last = undefined;
  handled.length = 0;
});

interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: TOKEN, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const isJson = res.headers.get("content-type") === "application/json";
  return { status: res.status, body: isJson ? JSON.parse(text) : text, headers: res.headers };
}

describe("REST handler over HTTP/1.1", () => {
  it("GET with a simple variable: proto field names, enum names, JSON content type", async () => {
    const r = await call("GET", "/v1/things/t1");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.body).toEqual({ labels: [], thing_id: "t1", color: "COLOR_RED" });
    expect(lastRequest<GetThingRequest>("GetThing").thingId).toBe("t1");
  });

  it("forwards request headers into the call and copies response headers and trailers back", async () => {
    const r = await call("GET", "/v1/things/t1", undefined, {
      "x-request-id": "req-42",
      "x-custom-thing": "yes",
      "user-agent": "rest-test/1.0",
      "x-forwarded-for": "203.0.113.9",
      cookie: "session=secret",
      "proxy-authorization": "Basic xyz",
    });
    expect(r.headers.get("x-request-id")).toBe("req-42");
    expect(r.headers.get("x-trailer-info")).toBe("t");
    const h = last!.headers;
    expect(h.get("authorization")).toBe(TOKEN);
    expect(h.get("x-request-id")).toBe("req-42");
    expect(h.get("x-custom-thing")).toBe("yes");
    expect(h.get("user-agent")).toBe("rest-test/1.0");
    expect(h.get("x-forwarded-for")).toBe("203.0.113.9, 127.0.0.1");
    expect(h.get("cookie")).toBeNull();
    expect(h.get("proxy-authorization")).toBeNull();
    expect(h.get("connection")).toBeNull();
  });

  it("serves additional_bindings", async () => {
    const r = await call("GET", "/v1/owners/o1/things/t2");
    expect(r.body).toEqual({ labels: [], thing_id: "t2", owner: "o1", color: "COLOR_RED" });
  });

  it("percent-decodes path variables, keeping %2F inside a single-segment value", async () => {
    expect((await call("GET", "/v1/things/a%2Fb%20c")).body).toEqual({ labels: [], thing_id: "a/b c", color: "COLOR_RED" });
    expect(lastRequest<GetThingRequest>("GetThing").thingId).toBe("a/b c");
    expect((await call("GET", "/v1/things/caf%C3%A9")).body).toMatchObject({ thing_id: "café" });
  });

  it("lets custom verb routes coexist with variable routes", async () => {
    const claim = await call("POST", "/v1/things:claim", { token: "tok", owner: "o" });
    expect(claim).toMatchObject({ status: 200, body: { thing_id: "claimed", owner: "o", note: "tok" } });
    const rotate = await call("POST", "/v1/things/t7:rotate", { reason: "leak" });
    expect(rotate).toMatchObject({ status: 200, body: { thing_id: "t7", note: "rotate:leak" } });
    expect(lastRequest("RotateThing")).toMatchObject({ thingId: "t7", reason: "leak" });
    const get = await call("GET", "/v1/things/t7");
    expect(get.body).toEqual({ labels: [], thing_id: "t7", color: "COLOR_RED" });
  });

  it('body "field" takes the body, the query string the remaining fields', async () => {
    const r = await call("POST", "/v1/things?request_id=r1&validateOnly=true", {
      display_name: "Lamp",
      color: "COLOR_GREEN",
      labels: ["a", "b"],
      createTime: "2024-05-06T07:08:09Z",
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      display_name: "Lamp",
      color: "COLOR_GREEN",
      labels: ["a", "b"],
      note: "request_id=r1 validate_only=true",
      create_time: "2024-05-06T07:08:09Z",
    });
    const req = lastRequest<CreateThingRequest>("CreateThing");
    expect(req.requestId).toBe("r1");
    expect(req.validateOnly).toBe(true);
    expect(req.thing?.color).toBe(Color.GREEN);
    expect(req.thing?.createTime?.seconds).toBe(BigInt(Date.UTC(2024, 4, 6, 7, 8, 9) / 1000));
  });

  it("PATCH and PUT with a nested path variable inside the body field: the path wins", async () => {
    const r = await call("PATCH", "/v1/things/t9?update_mask=display_name,color", {
      thingId: "other",
      display_name: "New",
    });
    expect(r.body).toEqual({ labels: [], thing_id: "t9", display_name: "New", note: "display_name,color" });
    const req = lastRequest<UpdateThingRequest>("UpdateThing");
    expect(req.thing?.thingId).toBe("t9");
    expect(req.updateMask?.paths).toEqual(["display_name", "color"]);
    const put = await call("PUT", "/v1/things/t10?updateMask=displayName", { display_name: "Put" });
    expect(put.body).toEqual({ labels: [], thing_id: "t10", display_name: "Put", note: "display_name" });
    const noBody = await call("PATCH", "/v1/things/t11");
    expect(noBody.body).toEqual({ labels: [], thing_id: "t11" });
  });

  it("DELETE returning google.protobuf.Empty answers {}", async () => {
    const r = await call("DELETE", "/v1/things/t1?force=true");
    expect(r).toMatchObject({ status: 200, body: {} });
    expect(lastRequest<DeleteThingRequest>("DeleteThing")).toMatchObject({ thingId: "t1", force: true });
  });

  it('nested variable {book.shelf.id} with body "*" merges into the body', async () => {
    const r = await call("POST", "/v1/shelves/s1/books", {
      book: { title: "Dune", shelf: { theme: "sci-fi", id: "ignored" } },
      request_id: "r2",
    });
    expect(r.body).toEqual({ shelf: { id: "s1", theme: "sci-fi" }, title: "Dune" });
    const req = lastRequest<CreateBookRequest>("CreateBook");
    expect(req.requestId).toBe("r2");
    expect(req.book?.shelf).toMatchObject({ id: "s1", theme: "sci-fi" });
  });

  it("binds {name=shelves/*/books/*} and keeps %2F encoded in it", async () => {
    expect((await call("GET", "/v1/shelves/s1/books/b1")).body).toEqual({ name: "shelves/s1/books/b1" });
    expect((await call("GET", "/v1/shelves/s%2F1/books/b%201")).body).toEqual({ name: "shelves/s%2F1/books/b 1" });
  });

  it("returns only the response_body field, also through an additional binding", async () => {
    const r = await call("GET", "/v1/shelves/s1/books?page_size=2");
    expect(r.body).toEqual([{ name: "shelves/s1/books/1" }, { name: "shelves/s1/books/2" }]);
    const alt = await call("GET", "/v1/books?shelf=s2&pageSize=1");
    expect(alt.body).toEqual([{ name: "shelves/s2/books/1" }]);
    const empty = await call("GET", "/v1/books?shelf=s3");
    expect(empty.body).toEqual([]);
  });

  it("binds ** variables across segments", async () => {
    expect((await call("GET", "/v1/files/a/b/c.txt")).body).toEqual({ path: "a/b/c.txt" });
    expect((await call("GET", "/v1/files")).body).toEqual({});
    expect(lastRequest("GetFile")).toMatchObject({ path: "" });
  });

  it("GET with query parameters of every scalar type, enums, repeated, nested and well-known types", async () => {
    const query = [
      "double_value=1.5",
      "float_value=-2.25",
      "int32_value=-7",
      "int64_value=-9007199254740993",
      "uint32_value=4294967295",
      "uint64_value=18446744073709551615",
      "sint32_value=-3",
      "sint64_value=-4",
      "fixed32_value=5",
      "fixed64_value=6",
      "sfixed32_value=-8",
      "sfixed64_value=-9",
      "bool_value=true",
      "string_value=hello%20w%C3%B6rld",
      "bytes_value=AQID",
      "color=COLOR_GREEN",
      "tags=a",
      "tags=b",
      "numbers=1",
      "numbers=2",
      "colors=1",
      "colors=COLOR_GREEN",
      "filter.kind=k",
      "filter.range.min=1",
      "filter.range.max=2",
      "read_mask=display_name,filter.kind",
      "since=2024-01-02T03:04:05.5Z",
      "max_age=1.5s",
      "archived=false",
      "limit=10",
      "page_size=0",
    ].join("&");
    const r = await call("GET", `/v1/search?${query}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      request: {
        double_value: 1.5,
        float_value: -2.25,
        int32_value: -7,
        int64_value: "-9007199254740993",
        uint32_value: 4294967295,
        uint64_value: "18446744073709551615",
        sint32_value: -3,
        sint64_value: "-4",
        fixed32_value: 5,
        fixed64_value: "6",
        sfixed32_value: -8,
        sfixed64_value: "-9",
        bool_value: true,
        string_value: "hello wörld",
        bytes_value: "AQID",
        color: "COLOR_GREEN",
        tags: ["a", "b"],
        numbers: [1, 2],
        colors: ["COLOR_RED", "COLOR_GREEN"],
        filter: { kind: "k", range: { min: 1, max: "2" } },
        read_mask: "displayName,filter.kind",
        since: "2024-01-02T03:04:05.500Z",
        max_age: "1.500s",
        archived: false,
        limit: "10",
        page_size: 0,
      },
    });
    const req = lastRequest<SearchRequest>("Search");
    expect(req.int64Value).toBe(-9007199254740993n);
    expect(req.uint64Value).toBe(18446744073709551615n);
    expect(req.bytesValue).toEqual(new Uint8Array([1, 2, 3]));
    expect(req.colors).toEqual([Color.RED, Color.GREEN]);
    expect(req.readMask?.paths).toEqual(["display_name", "filter.kind"]);
    expect(req.since).toMatchObject({ seconds: 1704164645n, nanos: 500_000_000 });
    expect(req.maxAge).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
    expect(req.archived).toBe(false);
    expect(req.limit).toBe(10n);
    expect(req.pageSize).toBe(0);
  });

  it("accepts JSON names in the query string, enum numbers and special float values", async () => {
    const r = await call("GET", "/v1/search?int32Value=5&filter.range.min=3&color=2&doubleValue=NaN&floatValue=-Infinity");
    expect(r.body).toEqual({
      request: {
        int32_value: 5,
        filter: { range: { min: 3 } },
        color: "COLOR_GREEN",
        double_value: "NaN",
        float_value: "-Infinity",
        // REST writes out empty lists, which proto3 JSON omits.
        colors: [],
        numbers: [],
        tags: [],
      },
    });
  });

  it("serves custom HTTP methods", async () => {
    const r = await call("PURGE", "/v1/cache/k1");
    expect(r).toMatchObject({ status: 200, body: { key: "k1", purged: "3" } });
  });

  it("applies jsonOptions (below a path prefix)", async () => {
    const r = await call("GET", "/api/v1/things/t1");
    expect(r.body).toEqual({ labels: [], thingId: "t1", color: 1 });
    expect(handled).toEqual([true]);
  });
});

describe("REST errors over HTTP/1.1", () => {
  it("returns false for an unmatched path so the server can fall through", async () => {
    const r = await call("GET", "/v2/nothing");
    expect(r).toMatchObject({ status: 404, body: "fallthrough 404" });
    expect(handled).toEqual([false, false]);
    expect((await call("GET", "/v1/shelves/s1/books/b1/extra")).status).toBe(404);
  });

  it("answers 405 UNIMPLEMENTED with Allow for a path that matches with another method", async () => {
    const r = await call("DELETE", "/v1/things:claim");
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
    expect(r.body).toEqual({ code: "UNIMPLEMENTED", message: "method DELETE is not allowed for /v1/things:claim; allowed: POST" });
    const other = await call("POST", "/v1/things/t1");
    expect(other.headers.get("allow")).toBe("DELETE, GET, PATCH, PUT");
  });

  it("maps ConnectErrors of the service to status and exact body", async () => {
    expect(await call("GET", "/v1/things/dup")).toMatchObject({
      status: 409,
      body: { code: "ALREADY_EXISTS", message: "thing dup already exists" },
    });
    const missing = await call("GET", "/v1/things/missing");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
    expect(missing.body).toEqual({ code: "NOT_FOUND", message: "thing missing not found" });
  });

  it("copies error metadata such as retry-after", async () => {
    const r = await call("GET", "/v1/things/busy");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("30");
    expect(r.body).toEqual({ code: "RESOURCE_EXHAUSTED", message: "slow down" });
  });

  it("runs the server's interceptors: no token is 401 with www-authenticate", async () => {
    const r = await call("GET", "/v1/things/t1", undefined, { authorization: "" });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe("Bearer");
    expect(r.body).toEqual({ code: "UNAUTHENTICATED", message: "missing or invalid token" });
    expect(last).toBeUndefined();
  });

  it("rejects unknown body fields", async () => {
    const r = await call("POST", "/v1/things:claim", { token: "t", bogus: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'cannot decode message resttest.v1.ClaimThingRequest from JSON: key "bogus" is unknown',
    });
    const nested = await call("POST", "/v1/things", { nope: true });
    expect(nested.body).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'cannot decode message resttest.v1.Thing from JSON: key "nope" is unknown',
    });
    expect(last).toBeUndefined();
  });

  it.each([
    ["/v1/things/t1?nope=1", 'unknown query parameter "nope": resttest.v1.GetThingRequest has no field "nope"'],
    ["/v1/search?filter.nope=1", 'unknown query parameter "filter.nope": resttest.v1.SearchRequest.Filter has no field "nope"'],
    ["/v1/search?string_value.x=1", 'unknown query parameter "string_value.x": field "string_value" has no subfields'],
    ["/v1/things/t1?thing_id=t2", 'query parameter "thing_id" is not allowed: the field is bound by the URL path'],
    ["/v1/search?filter=x", 'query parameter "filter" is not allowed: field "filter" is a message; set its subfields instead'],
    ["/v1/search?string_value=a&string_value=b", 'query parameter "string_value" must not be repeated: field "string_value" is not a list'],
    ["/v1/search?int32_value=1&int32Value=2", 'query parameter "int32Value" sets the same field as "int32_value"'],
  ])("rejects query %s", async (path, message) => {
    expect(await call("GET", path)).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT", message } });
  });

  it('rejects query parameters for the body field and for body "*"', async () => {
    expect((await call("POST", "/v1/things?thing.owner=x", {})).body).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'query parameter "thing.owner" is not allowed: field "thing" is carried by the body',
    });
    expect((await call("POST", "/v1/things:claim?token=x", {})).body).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'unknown query parameter "token": the request body carries all fields',
    });
  });

  it.each([
    ["color=COLOR_PURPLE", 'query parameter "color": cannot decode enum resttest.v1.Color from JSON: "COLOR_PURPLE"'],
    ["colors=1&colors=NOPE", 'query parameter "colors": cannot decode enum resttest.v1.Color from JSON: "NOPE"'],
    [
      "int32_value=abc",
      'query parameter "int32_value": cannot decode field resttest.v1.SearchRequest.int32_value from JSON: expected number (int32), got "abc"',
    ],
    [
      "int32_value=2147483648",
      'query parameter "int32_value": cannot decode field resttest.v1.SearchRequest.int32_value from JSON: expected number (int32): 2147483648 out of range',
    ],
    [
      "uint64_value=-1",
      'query parameter "uint64_value": cannot decode field resttest.v1.SearchRequest.uint64_value from JSON: expected bigint (uint64): -1 out of range',
    ],
    ["bool_value=yes", 'query parameter "bool_value": cannot decode field resttest.v1.SearchRequest.bool_value from JSON: expected boolean, got "yes"'],
    ["since=yesterday", 'query parameter "since": cannot decode message google.protobuf.Timestamp from JSON: invalid RFC 3339 string'],
    ["bytes_value=%25%25", 'query parameter "bytes_value": cannot decode field resttest.v1.SearchRequest.bytes_value from JSON: invalid base64 string'],
  ])("rejects the bad value %s", async (query, message) => {
    expect(await call("GET", `/v1/search?${query}`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: `invalid value for ${message}` },
    });
  });

  it("rejects malformed percent-encoding in path variables", async () => {
    expect(await call("GET", "/v1/things/%E0%A4%A")).toMatchObject({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: 'malformed percent-encoding in URL path: "%E0%A4%A"' },
    });
  });

  it("rejects malformed and non-object JSON bodies", async () => {
    const r = await call("POST", "/v1/things:claim", '{"token": ');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((r.body as { message: string }).message).toMatch(/^malformed JSON request body: /);
    expect((await call("POST", "/v1/things:claim", "[1]")).body).toEqual({
      code: "INVALID_ARGUMENT",
      message: "request body must be a JSON object",
    });
  });

  it("refuses bodies larger than readMaxBytes with 413", async () => {
    const r = await call("POST", "/v1/things:claim", { token: "x".repeat(2000) });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ code: "RESOURCE_EXHAUSTED", message: "request body exceeds 1024 bytes" });
    expect(last).toBeUndefined();
  });

  it("refuses a chunked body once it grows past readMaxBytes", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/v1/things:claim`, { method: "POST", headers: { authorization: TOKEN } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      req.write('{"token":"');
      req.write("y".repeat(800));
      req.write("z".repeat(800));
      req.end('"}');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ code: "RESOURCE_EXHAUSTED", message: "request body exceeds 1024 bytes" });
  });
});

describe("REST handler over HTTP/2 cleartext", () => {
  let h2server: http2.Http2Server;
  let client: http2.ClientHttp2Session;

  beforeAll(async () => {
    h2server = http2.createServer((req, res) => void serve([handler], req, res));
    await new Promise<void>((resolve) => h2server.listen(0, "127.0.0.1", resolve));
    client = http2.connect(`http://127.0.0.1:${(h2server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    client.close();
    await new Promise((resolve) => h2server.close(resolve));
  });

  function h2call(method: string, path: string, body?: string): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = client.request({
        ":method": method,
        ":path": path,
        authorization: TOKEN,
        "x-request-id": "h2-req",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      });
      let headers: http2.IncomingHttpHeaders = {};
      let text = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => (headers = h));
      stream.on("data", (c: string) => (text += c));
      stream.on("end", () => resolve({ status: Number(headers[":status"]), headers, body: text }));
      stream.on("error", reject);
      stream.end(body);
    });
  }

  it("transcodes a PATCH with body and query", async () => {
    const r = await h2call("PATCH", "/v1/things/h2?update_mask=display_name", JSON.stringify({ display_name: "Two" }));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(r.body)).toEqual({ labels: [], thing_id: "h2", display_name: "Two", note: "display_name" });
    expect(last?.headers.get("x-request-id")).toBe("h2-req");
  });

  it("copies response headers and maps errors", async () => {
    const ok = await h2call("GET", "/v1/things/t1");
    expect(ok.headers["x-request-id"]).toBe("h2-req");
    const busy = await h2call("GET", "/v1/things/busy");
    expect(busy.status).toBe(429);
    expect(busy.headers["retry-after"]).toBe("30");
    expect(JSON.parse(busy.body)).toEqual({ code: "RESOURCE_EXHAUSTED", message: "slow down" });
  });

  it("refuses oversized bodies and falls through for unknown paths", async () => {
    const big = await h2call("POST", "/v1/things:claim", JSON.stringify({ token: "x".repeat(3000) }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual({ code: "RESOURCE_EXHAUSTED", message: "request body exceeds 1024 bytes" });
    const none = await h2call("GET", "/nowhere");
    expect(none).toMatchObject({ status: 404, body: "fallthrough 404" });
  });
});
