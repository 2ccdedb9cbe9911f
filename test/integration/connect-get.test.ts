import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createConnectTransport as createWebTransport } from "@connectrpc/connect-web";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createRestApi, type Json } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const READS = ["GetDevice", "ListDevices", "ListDeviceClaims", "GetDeviceProfile", "ListDeviceProfiles"];

/** The GET URL of a Connect unary call with a JSON message, as the Connect protocol defines it. */
function connectGetUrl(baseUrl: string, procedure: string, message: Json): string {
  return `${baseUrl}/${procedure}?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify(message))}`;
}

describe("Connect GET for reads", () => {
  let service: TestService;
  let token: string;
  let device: Json;
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService();
    token = await service.token(tenant);
    const rest = createRestApi(service.baseUrl);
    await rest.call("POST", "/api/v1/profiles", token, { profile_id: "p_get", display_name: "GET" });
    device = await rest.register(token, { name: "cacheable", hardware_id: "HW-GET-1", profile_id: "p_get" });
  });
  afterAll(() => service.stop());

  test("the reads, and only they, are marked NO_SIDE_EFFECTS", () => {
    const marked = [DeviceRegistryService, DeviceProvisioningService].flatMap((s) => s.methods.filter((m) => m.idempotency === 1).map((m) => m.name));
    expect(marked).toEqual([...READS, "GetDeviceConfig"]);
  });

  test("a Connect client with useHttpGet sends every read as GET", async () => {
    const methods: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      methods.push(`${init?.method} ${String(input).split("?")[0]?.split("/").pop()}`);
      return fetch(input, init);
    };
    const auth: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    };
    const client = createClient(
      DeviceRegistryService,
      createWebTransport({ baseUrl: service.baseUrl, useHttpGet: true, fetch: recordingFetch, interceptors: [auth] }),
    );

    expect(await client.getDevice({ deviceId: device["device_id"] })).toMatchObject({
      deviceId: device["device_id"],
      hardwareId: "HW-GET-1",
      tenantId: tenant,
    });
    expect((await client.listDevices({ hardwareId: "HW-GET-1" })).devices.map((d) => d.deviceId)).toEqual([device["device_id"]]);
    expect((await client.listDeviceClaims({})).claims).toEqual([]);
    expect(await client.getDeviceProfile({ profileId: "p_get" })).toMatchObject({ profileId: "p_get", displayName: "GET" });
    expect((await client.listDeviceProfiles({})).profiles.map((p) => p.profileId)).toEqual(["p_get"]);
    await client.registerDevice({ name: "written", hardwareId: "HW-GET-POST" });
    expect(methods).toEqual([...READS.map((m) => `GET ${m}`), "POST RegisterDevice"]);
  });

  test("a GET over HTTP/2 answers like one over HTTP/1.1", async () => {
    const url = new URL(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceRegistryService/GetDevice", { device_id: device["device_id"] }));
    const session = http2.connect(url.origin);
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ":method": "GET", ":path": url.pathname + url.search, authorization: `Bearer ${token}` });
        let status = 0;
        let body = "";
        req.on("response", (headers) => (status = Number(headers[":status"])));
        req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        req.on("end", () => resolve({ status, body })).on("error", reject);
      });
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ device_id: device["device_id"], hardware_id: "HW-GET-1" });
    } finally {
      session.close();
    }
  });

  test("a plain HTTP GET of a read answers its JSON, and errors keep their code", async () => {
    const ok = await fetch(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceRegistryService/GetDevice", { device_id: device["device_id"] }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ device_id: device["device_id"], hardware_id: "HW-GET-1", tenant_id: tenant });

    const missing = await fetch(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceRegistryService/GetDevice", { device_id: randomUUID() }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not_found" });

    const anonymous = await fetch(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceRegistryService/ListDevices", {}));
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: "unauthenticated", message: "missing bearer token" });
  });

  test("a device reads its config with GET and its api_key", async () => {
    const res = await fetch(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceProvisioningService/GetDeviceConfig", { device_id: device["device_id"] }), {
      headers: { authorization: `Bearer ${device["api_key"]}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ device_id: device["device_id"] });
  });

  test("a write is never served over GET", async () => {
    const res = await fetch(connectGetUrl(service.baseUrl, "deviceregistry.v1.DeviceRegistryService/RegisterDevice", { name: "x", hardware_id: "HW-GET-NO" }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
    const client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const listed = await client.listDevices({ hardwareId: "HW-GET-NO" }, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.devices).toEqual([]);
  });
});
