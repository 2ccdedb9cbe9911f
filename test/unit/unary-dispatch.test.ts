import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { GetThingRequestSchema, RestTestService } from "../../gen/resttest/v1/rest_test_pb.js";
import { createRestHandler } from "../../src/rest/index.js";
import { createUnaryDispatch } from "../../src/dispatch/unary-dispatch.js";

/** Marks requests and responses, to prove the dispatch runs the interceptors around the implementation. */
const marker: Interceptor = (next) => async (req) => {
  req.header.set("x-seen-by-interceptor", "yes");
  const res = await next(req);
  res.header.set("x-interceptor", "ran");
  res.trailer.set("x-trailer", "set");
  return res;
};

let aborted: unknown;

const routes = (router: ConnectRouter) => {
  router.service(RestTestService, {
    getThing(req, ctx) {
      if (req.thingId === "boom") throw new Error("a bug");
      if (req.thingId === "slow") {
        return new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = ctx.signal.reason;
            reject(new ConnectError("aborted", Code.Canceled));
          });
        });
      }
      return { thingId: req.thingId, note: ctx.requestHeader.get("x-seen-by-interceptor") ?? "" };
    },
  });
};

const dispatch = createUnaryDispatch(routes, [marker]);

function contextFor(path: string) {
  const spec = dispatch.method(path)!;
  return { spec, context: createHandlerContext({ service: spec.method.parent, method: spec.method, protocolName: "test", requestMethod: "POST", url: path }) };
}

describe("createUnaryDispatch", () => {
  it("runs the routes' implementation through the interceptors, headers and trailers in the context", async () => {
    const { spec, context } = contextFor("/resttest.v1.RestTestService/GetThing");
    const output = await dispatch.call(spec, context, create(GetThingRequestSchema, { thingId: "a" }));
    expect(output).toMatchObject({ thingId: "a", note: "yes" });
    expect(context.responseHeader.get("x-interceptor")).toBe("ran");
    expect(context.responseTrailer.get("x-trailer")).toBe("set");
  });

  it("answers unregistered methods as connect-es does, and knows only unary paths", async () => {
    const { spec, context } = contextFor("/resttest.v1.RestTestService/DeleteThing");
    await expect(dispatch.call(spec, context, create(GetThingRequestSchema))).rejects.toMatchObject({
      code: Code.Unimplemented,
      rawMessage: "resttest.v1.RestTestService.DeleteThing is not implemented",
    });
    expect(dispatch.method("/resttest.v1.RestTestService/NoSuchMethod")).toBeUndefined();
    expect(dispatch.method("/resttest.v1.RestTestService/GetThing")?.kind).toBe("unary");
  });

  it("turns anything but a ConnectError into internal error, keeping the cause", async () => {
    const { spec, context } = contextFor("/resttest.v1.RestTestService/GetThing");
    const failure = await dispatch.call(spec, context, create(GetThingRequestSchema, { thingId: "boom" })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectError);
    expect(failure).toMatchObject({ code: Code.Internal, rawMessage: "internal error", cause: new Error("a bug") });
  });

  it("refuses per-service router options, which only connect-node's path would apply, but a body limit", () => {
    expect(() => createUnaryDispatch((router) => router.service(RestTestService, {}, { interceptors: [] }), [])).toThrow(
      /router options interceptors are not supported/,
    );
    const limited = createUnaryDispatch((router) => router.service(RestTestService, {}, { readMaxBytes: 1 }), []);
    expect(limited.method("/resttest.v1.RestTestService/GetThing")).toBeDefined();
  });

  // invokeUnaryImplementation is marked @private in @connectrpc/connect: it may change in any
  // release, so the package is pinned and this fails when someone moves the pin.
  it("runs on the pinned @connectrpc/connect release", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync("node_modules/@connectrpc/connect/package.json", "utf8")) as { version: string };
    expect(pkg.dependencies["@connectrpc/connect"]).toBe("2.2.0");
    expect(installed.version).toBe("2.2.0");
  });
});

describe("REST through the dispatch", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const handler = createRestHandler({ services: [RestTestService], dispatch });
    server = http.createServer((req, res) => void handler(req, res).then((done) => done || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("returns the response with the interceptors' headers and trailers", async () => {
    const res = await fetch(`${base}/v1/things/t1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interceptor")).toBe("ran");
    expect(res.headers.get("x-trailer")).toBe("set");
    expect(await res.json()).toEqual({ thing_id: "t1", note: "yes", labels: [] });
  });

  it("aborts the handler's signal when the client goes away", async () => {
    aborted = undefined;
    const controller = new AbortController();
    const pending = fetch(`${base}/v1/things/slow`, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toThrow();
    for (let i = 0; i < 100 && aborted === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted).toMatchObject({ code: Code.Canceled, rawMessage: "client closed the request" });
  });
});
