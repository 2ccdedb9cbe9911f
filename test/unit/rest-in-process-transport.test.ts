import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, createConnectRouter } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { RestTestService } from "../../gen/resttest/v1/rest_test_pb.js";
import { createInProcessTransport, createRestHandler } from "../../src/rest/index.js";

/** A server-side interceptor that marks requests and responses, to prove it runs. */
const marker: Interceptor = (next) => async (req) => {
  req.header.set("x-seen-by-interceptor", "yes");
  const res = await next(req);
  res.header.set("x-interceptor", "ran");
  return res;
};

function createRouter() {
  const router = createConnectRouter({ interceptors: [marker] });
  router.service(RestTestService, {
    getThing(req, ctx) {
      if (req.thingId === "slow") {
        return new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            reject(new ConnectError("aborted", Code.Canceled));
          });
        });
      }
      return { thingId: req.thingId, note: ctx.requestHeader.get("x-seen-by-interceptor") ?? "" };
    },
  });
  return router;
}

let aborted = false;

describe("createInProcessTransport", () => {
  it("calls the router's handlers through its interceptors", async () => {
    const client = createClient(RestTestService, createInProcessTransport(createRouter()));
    const thing = await client.getThing({ thingId: "a" });
    expect(thing).toMatchObject({ thingId: "a", note: "yes" });
    await expect(client.deleteThing({ thingId: "a" })).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  it("sees services registered after it was created", async () => {
    const router = createConnectRouter();
    const client = createClient(RestTestService, createInProcessTransport(router));
    router.service(RestTestService, { getFile: (req) => ({ path: req.path }) });
    expect(await client.getFile({ path: "late" })).toMatchObject({ path: "late" });
  });

  it("refuses a router without the Connect protocol", async () => {
    const router = createConnectRouter({ connect: false });
    router.service(RestTestService, {});
    const client = createClient(RestTestService, createInProcessTransport(router));
    await expect(client.getFile({ path: "x" })).rejects.toThrow(/does not speak the Connect protocol/);
  });
});

describe("REST handler on an in-process transport", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const handler = createRestHandler({ services: [RestTestService], transport: createInProcessTransport(createRouter()) });
    server = http.createServer((req, res) => {
      void handler(req, res).then((done) => {
        if (!done) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("returns the RPC's response and the interceptor's response headers", async () => {
    const res = await fetch(`${base}/v1/things/t1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interceptor")).toBe("ran");
    expect(await res.json()).toEqual({ labels: [], thing_id: "t1", note: "yes" });
  });

  it("maps an unimplemented RPC to 501", async () => {
    const res = await fetch(`${base}/v1/things/t1`, { method: "DELETE" });
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({
      code: "UNIMPLEMENTED",
      message: "resttest.v1.RestTestService.DeleteThing is not implemented",
    });
  });

  it("aborts the call when the client goes away", async () => {
    aborted = false;
    const controller = new AbortController();
    const pending = fetch(`${base}/v1/things/slow`, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toThrow();
    for (let i = 0; i < 50 && !aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted).toBe(true);
  });
});
