import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, encodeBinaryHeader, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import http2 from "node:http2";
import zlib from "node:zlib";
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import type { RpcMetrics } from "../../src/observability/metrics.js";
import { defaultHttpTimeouts } from "../../src/config.js";
import { createRpcInterceptor } from "../../src/observability/rpc-interceptor.js";
import { GetThingRequestSchema, RestTestService, ThingSchema } from "../../gen/resttest/v1/rest_test_pb.js";
import { createServer, type Server } from "../../src/server/server.js";
import { connectHttp2, grpcEnvelope, grpcMessageOf, type Http2Client, type Http2Exchange } from "../support/http2-exchange.js";

/** What the "slow" call's signal aborted with. */
let aborted: unknown;

/** Each server's RPC metrics, as the service counts them. */
function rpcMetrics(registry: Registry): RpcMetrics {
  return {
    requests: new Counter({ name: "rpc_requests", help: "calls", labelNames: ["service", "method", "code"], registers: [registry] }),
    duration: new Histogram({ name: "rpc_duration", help: "latency", labelNames: ["service", "method"], registers: [registry] }),
  };
}

const marker: Interceptor = (next) => async (req) => {
  const res = await next(req);
  res.header.set("x-interceptor", "ran");
  return res;
};

const routes = (router: ConnectRouter) => {
  router.service(RestTestService, {
    async getThing(req, ctx) {
      switch (req.thingId) {
        case "slow":
          return new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => {
              aborted = ctx.signal.reason;
              reject(new ConnectError("aborted", Code.Canceled));
            }),
          );
        case "details":
          throw new ConnectError('détails: 100% wrong, "quoted"', Code.FailedPrecondition, { "x-meta": "m", "retry-after": "7" }, [
            { desc: ThingSchema, value: { thingId: "detail" } },
          ]);
        case "bug":
          throw new Error("a bug");
        case "echo":
          ctx.responseHeader.set("x-echo-bin", ctx.requestHeader.get("x-echo-bin") ?? "");
          ctx.responseTrailer.set("x-trailer-bin", encodeBinaryHeader(new Uint8Array([0, 1, 2, 255])));
          return { thingId: "echo", displayName: ctx.requestHeader.get("x-note") ?? "" };
        case "big":
          return { thingId: "big", labels: Array.from({ length: 100 }, (_, i) => `label-${i}-${"x".repeat(20)}`) };
        default:
          return { thingId: req.thingId };
      }
    },
  });
};

const lines: Record<string, unknown>[] = [];

const registries = { fast: new Registry(), slow: new Registry() };

function start(unaryFastPath: boolean): Server {
  const registry = unaryFastPath ? registries.fast : registries.slow;
  return createServer({
    routes,
    restServices: [],
    interceptors: [createRpcInterceptor(rpcMetrics(registry)), marker],
    corsOrigins: ["http://dashboard.test"],
    maxBodyBytes: () => 1024,
    defaultMaxBodyBytes: 1024,
    httpTimeouts: defaultHttpTimeouts,
    readiness: async () => ({ status: "ready", checks: {} }) as never,
    metrics: registry,
    requestLogger: pino({}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    openApiDocument: {},
    unaryFastPath,
  });
}

const GET_THING = "/resttest.v1.RestTestService/GetThing";
const thing = (thingId: string) => toBinary(GetThingRequestSchema, create(GetThingRequestSchema, { thingId }));

/** The same request over gRPC, Connect binary and Connect JSON. */
const protocols = {
  grpc: (id: string, headers: Record<string, string> = {}) => ({
    headers: { "content-type": "application/grpc", te: "trailers", ...headers },
    body: grpcEnvelope(thing(id)),
  }),
  connectProto: (id: string, headers: Record<string, string> = {}) => ({
    headers: { "content-type": "application/proto", ...headers },
    body: thing(id),
  }),
  connectJson: (id: string, headers: Record<string, string> = {}) => ({
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(toJsonString(GetThingRequestSchema, create(GetThingRequestSchema, { thingId: id }))),
  }),
};

/** An exchange without what differs between any two responses (date, request id). */
function comparable(exchange: Http2Exchange) {
  const { date, "x-request-id": requestId, ...headers } = exchange.headers;
  expect(date).toBeDefined();
  expect(requestId).toBeDefined();
  return { ...exchange, headers };
}

let fast: Server;
let slow: Server;
let fastClient: Http2Client;
let slowClient: Http2Client;
let fastBase: string;
let slowBase: string;

beforeAll(async () => {
  fast = start(true);
  slow = start(false);
  fastBase = `http://127.0.0.1:${(await fast.listen(0, "127.0.0.1")).port}`;
  slowBase = `http://127.0.0.1:${(await slow.listen(0, "127.0.0.1")).port}`;
  fastClient = connectHttp2(fastBase);
  slowClient = connectHttp2(slowBase);
});

afterAll(async () => {
  fastClient.close();
  slowClient.close();
  await Promise.all([fast.close(100), slow.close(100)]);
});

/** Sends the same request to both servers; they must answer identically. */
async function same(path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Http2Exchange> {
  const [a, b] = await Promise.all([fastClient.send(path, headers, body), slowClient.send(path, headers, body)]);
  expect(comparable(a)).toEqual(comparable(b));
  return a;
}

describe.each(Object.entries(protocols))("the fast path answers %s like connect-node", (name, request) => {
  const isGrpc = name === "grpc";

  test("a success, with the interceptor's header", async () => {
    const { headers, body } = request("t1");
    const res = await same(GET_THING, headers, body);
    expect(res.headers["x-interceptor"]).toBe("ran");
    if (name !== "connectJson") expect(fromBinary(ThingSchema, isGrpc ? grpcMessageOf(res.body)! : res.body).thingId).toBe("t1");
  });

  test("an error with details, metadata and a message to percent-encode", async () => {
    const { headers, body } = request("details");
    const res = await same(GET_THING, headers, body);
    if (isGrpc) {
      expect(res.trailers["grpc-status"]).toBe(String(Code.FailedPrecondition));
      expect(res.trailers["grpc-message"]).toBe('d%C3%A9tails: 100%25 wrong, "quoted"');
      expect(res.trailers["grpc-status-details-bin"]).toBeDefined();
      expect(res.trailers["x-meta"]).toBe("m");
    } else {
      expect(res.headers[":status"]).toBe("400");
      expect(res.headers["x-meta"]).toBe("m");
    }
  });

  test("binary metadata both ways and trailers", async () => {
    const { headers, body } = request("echo", { "x-echo-bin": "AAEC/w==", "x-note": "hello" });
    const res = await same(GET_THING, headers, body);
    expect(res.headers["x-echo-bin"]).toBe("AAEC/w==");
    expect(isGrpc ? res.trailers["x-trailer-bin"] : res.headers["trailer-x-trailer-bin"]).toBe("AAEC/w");
  });

  test("a response compressed as the client accepts, a compressed request, an unknown compression", async () => {
    const accept = isGrpc ? "grpc-accept-encoding" : "accept-encoding";
    const { headers, body } = request("big", { [accept]: "gzip" });
    const big = await same(GET_THING, headers, body);
    expect(big.headers[isGrpc ? "grpc-encoding" : "content-encoding"]).toBe("gzip");
    if (isGrpc) {
      await same(GET_THING, { ...headers, "grpc-encoding": "gzip" }, grpcEnvelope(thing("zipped"), true));
    } else {
      await same(GET_THING, { ...headers, "content-encoding": "gzip" }, zlib.gzipSync(body));
    }
    const unknown = await same(GET_THING, { ...headers, [isGrpc ? "grpc-encoding" : "content-encoding"]: "snappy" }, body);
    expect(isGrpc ? unknown.trailers["grpc-status"] : unknown.headers[":status"]).toBe(isGrpc ? String(Code.Unimplemented) : "501");
  });

  test("internal errors, an unimplemented method, a bad timeout, CORS", async () => {
    const bug = request("bug");
    await same(GET_THING, bug.headers, bug.body);
    const unimplemented = request("x");
    await same("/resttest.v1.RestTestService/DeleteThing", unimplemented.headers, unimplemented.body);
    const timeout = request("t", isGrpc ? { "grpc-timeout": "soon" } : { "connect-timeout-ms": "soon" });
    await same(GET_THING, timeout.headers, timeout.body);
    const cors = request("t", { origin: "http://dashboard.test" });
    const res = await same(GET_THING, cors.headers, cors.body);
    expect(res.headers["access-control-allow-origin"]).toBe("http://dashboard.test");
  });

  test("a body over the limit", async () => {
    const { headers } = request("t");
    const oversized = isGrpc ? grpcEnvelope(Buffer.alloc(2000)) : Buffer.alloc(2000);
    const res = await same(GET_THING, headers, oversized);
    expect(isGrpc ? res.trailers["grpc-status"] : res.headers[":status"]).toBe(isGrpc ? String(Code.ResourceExhausted) : "429");
  });

  test("the same request log lines", async () => {
    lines.length = 0;
    const { headers, body } = request("t1", { "x-request-id": `same-${name}` });
    await same(GET_THING, headers, body);
    await same(GET_THING, { ...headers, "x-request-id": `bug-${name}` }, request("bug").body);
    const [a, b, c, d] = lines.map(({ time, pid, hostname, durationMs, ...rest }) => rest);
    expect(lines).toHaveLength(4);
    expect(a).toEqual(b);
    expect(c).toEqual(d);
    expect(a).toMatchObject({ requestId: `same-${name}`, protocol: isGrpc ? "grpc" : "connect", status: 200, path: GET_THING });
  });
});

test("gRPC without a message, and with two, like connect-node", async () => {
  const headers = { "content-type": "application/grpc+proto", te: "trailers" };
  const none = await same(GET_THING, headers, new Uint8Array(0));
  expect(none.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
  const two = await same(GET_THING, headers, Buffer.concat([grpcEnvelope(thing("a")), grpcEnvelope(thing("b"))]));
  expect(two.trailers["grpc-status"]).toBe(String(Code.Unimplemented));
});

test("what the fast path leaves to connect-node is answered identically", async () => {
  await same(GET_THING, { "content-type": "application/grpc+json", te: "trailers" }, grpcEnvelope(Buffer.from('{"thing_id":"j"}')));
  await same(GET_THING, { "content-type": "application/grpc-web+proto" }, grpcEnvelope(thing("web")));
  await same("/no.such.Service/Method", { "content-type": "application/grpc", te: "trailers" }, grpcEnvelope(thing("x")));
});

test("both servers counted the same calls with the same codes", async () => {
  const counts = async (registry: Registry) => (await registry.getSingleMetric("rpc_requests")!.get()).values;
  expect(await counts(registries.fast)).toEqual(await counts(registries.slow));
  expect((await counts(registries.fast)).map((value) => value.labels.code).sort()).toEqual(["FAILED_PRECONDITION", "OK", "UNIMPLEMENTED", "UNKNOWN"]);
});

test("a message that does not decode is INVALID_ARGUMENT", async () => {
  const res = await fastClient.send(GET_THING, { "content-type": "application/grpc", te: "trailers" }, grpcEnvelope(Buffer.from([0x0a, 0xff])));
  expect(res.trailers["grpc-status"]).toBe(String(Code.InvalidArgument));
  const json = await fastClient.send(GET_THING, { "content-type": "application/json" }, Buffer.from('{"thing_id": 1'));
  expect(json.headers[":status"]).toBe("400");
});

test("a body over the limit is refused at its length prefix, unread, and the connection stays usable", async () => {
  const client = connectHttp2(fastBase);
  try {
    const stream = client.session.request({ ":method": "POST", ":path": GET_THING, "content-type": "application/grpc", te: "trailers" });
    const head = Buffer.alloc(5);
    head.writeUInt32BE(50 * 1024 * 1024, 1);
    stream.write(head); // the client never sends the 50 MB it announces
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("trailers", resolve));
    expect(trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    expect(trailers["grpc-message"]).toBe("message size 52428800 is larger than configured readMaxBytes 1024");
    await new Promise((resolve) => stream.once("close", resolve));
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    const next = await client.send(GET_THING, { "content-type": "application/grpc", te: "trailers" }, grpcEnvelope(thing("after")));
    expect(next.trailers["grpc-status"]).toBe("0");
  } finally {
    client.close();
  }
});

test("a client that resets the stream aborts the handler's signal; the connection stays usable", async () => {
  aborted = undefined;
  const client = connectHttp2(fastBase);
  try {
    const stream = client.session.request({ ":method": "POST", ":path": GET_THING, "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.end(grpcEnvelope(thing("slow")));
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    for (let i = 0; i < 100 && aborted === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted).toMatchObject({ code: Code.Canceled, rawMessage: "http/2 stream closed with error code CANCEL (0x8)" });
    const next = await client.send(GET_THING, { "content-type": "application/grpc", te: "trailers" }, grpcEnvelope(thing("after")));
    expect(next.trailers["grpc-status"]).toBe("0");
  } finally {
    client.close();
  }
});

test("connect-es's own gRPC and Connect clients over HTTP/2 get the same answers from both paths", async () => {
  const answers = [];
  for (const server of [fastBase, slowBase]) {
    for (const transport of [createGrpcTransport({ baseUrl: server }), createConnectTransport({ baseUrl: server, httpVersion: "2" })]) {
      const client = createClient(RestTestService, transport);
      const ok = await client.getThing({ thingId: "t9" });
      const failure = await client.getThing({ thingId: "details" }).then(
        () => new ConnectError("succeeded", Code.Unknown),
        (e: unknown) => ConnectError.from(e),
      );
      answers.push({
        thingId: ok.thingId,
        code: failure.code,
        message: failure.rawMessage,
        meta: failure.metadata.get("x-meta"),
        details: failure.details.length,
      });
    }
  }
  expect(answers[0]).toEqual({ thingId: "t9", code: Code.FailedPrecondition, message: 'détails: 100% wrong, "quoted"', meta: "m", details: 1 });
  for (const answer of answers) expect(answer).toEqual(answers[0]);
});
