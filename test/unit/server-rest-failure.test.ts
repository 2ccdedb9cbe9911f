import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { pino } from "pino";
import { Registry } from "prom-client";
import { RestTestService } from "../../gen/resttest/v1/rest_test_pb.js";
import { defaultHttpTimeouts } from "../../src/config.js";
import { createServer, type Server } from "../../src/server/server.js";

// Error metadata that Headers accepts but node:http refuses to write (a control character), so
// the REST handler itself fails while answering.
const routes = (router: ConnectRouter) => {
  router.service(RestTestService, {
    getThing() {
      throw new ConnectError("refused", Code.FailedPrecondition, { "x-detail": "a\u0001b" });
    },
  });
};

const lines: Record<string, unknown>[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer({
    routes,
    restServices: [RestTestService],
    interceptors: [],
    corsOrigins: [],
    maxBodyBytes: () => 1024,
    defaultMaxBodyBytes: 1024,
    httpTimeouts: defaultHttpTimeouts,
    readiness: async () => ({ status: "ready", checks: {} }) as never,
    metrics: new Registry(),
    requestLogger: pino({}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    openApiDocument: {},
  });
  base = `http://127.0.0.1:${(await server.listen(0, "127.0.0.1")).port}`;
});

afterAll(() => server.close(100));

test("a REST request the handler fails on is logged and answered 500 INTERNAL", async () => {
  const res = await fetch(`${base}/v1/things/t1`);
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ code: "INTERNAL", message: "internal error" });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 50,
      msg: "REST request failed",
      method: "GET",
      url: "/v1/things/t1",
      err: expect.objectContaining({ code: "ERR_INVALID_CHAR" }),
    }),
  );
});
