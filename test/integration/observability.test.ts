import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Validator } from "@seriousme/openapi-schema-validator";
import { randomUUID } from "node:crypto";
import { DeviceRegistryService, GetDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { compileRoutes } from "../../src/rest/route-table.js";
import { services } from "../../src/routes.js";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REGISTRY = "deviceregistry.v1.DeviceRegistryService";

/** One sample of the Prometheus text format. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Scrapes /metrics over HTTP and parses the samples. */
async function scrape(baseUrl: string): Promise<Sample[]> {
  const res = await fetch(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? "").matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[k!] = v!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Scrapes until `condition` holds for the samples or `timeoutMs` has passed; returns the last samples. */
async function scrapeUntil(baseUrl: string, condition: (samples: readonly Sample[]) => boolean, timeoutMs = 60_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(baseUrl);
    if (condition(samples) || Date.now() > deadline) return samples;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The value of the one sample with this name and (at least) these labels, or undefined. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe("request ids, /metrics and the OpenAPI document", () => {
  let service: TestService;
  let token: string;
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService();
    token = await service.token(tenant);
  });
  afterAll(() => service.stop());

  test("every protocol returns x-request-id: the caller's when sane, otherwise a new one", async () => {
    const rest = (headers: Record<string, string>) =>
      fetch(`${service.baseUrl}/api/v1/devices`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "d", hardware_id: `HW-RID-${randomUUID()}` }),
      });
    const given = await rest({ "x-request-id": "rest-call-1" });
    expect(given.status).toBe(200);
    expect(given.headers.get("x-request-id")).toBe("rest-call-1");
    const insane = await rest({ "x-request-id": 'two "words"' });
    expect(insane.headers.get("x-request-id")).toMatch(UUID);
    const tooLong = await rest({ "x-request-id": "a".repeat(200) });
    expect(tooLong.headers.get("x-request-id")).toMatch(UUID);
    const none = await rest({});
    expect(none.headers.get("x-request-id")).toMatch(UUID);
    expect(none.headers.get("x-request-id")).not.toBe(tooLong.headers.get("x-request-id"));
    const unknownRoute = await fetch(`${service.baseUrl}/api/v1/nothing-here`, { headers: { "x-request-id": "rest-404" } });
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.headers.get("x-request-id")).toBe("rest-404");

    const deviceId = ((await given.json()) as { device_id: string }).device_id;
    const transports = {
      connect: createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }),
      grpc: createGrpcTransport({ baseUrl: service.baseUrl }),
      "grpc-web": createGrpcWebTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }),
    };
    for (const [protocol, transport] of Object.entries(transports)) {
      const client = createClient(DeviceRegistryService, transport);
      let header: Headers | undefined;
      const device = await client.getDevice(
        { deviceId },
        { headers: { authorization: `Bearer ${token}`, "x-request-id": `${protocol}-ok` }, onHeader: (h) => (header = h) },
      );
      expect(device.deviceId).toBe(deviceId);
      expect({ protocol, id: header?.get("x-request-id") }).toEqual({ protocol, id: `${protocol}-ok` });
      // An error carries it too.
      const failed = await client
        .getDevice({ deviceId: randomUUID() }, { headers: { authorization: `Bearer ${token}`, "x-request-id": `${protocol}-err` } })
        .then(
          () => undefined,
          (err: unknown) => ConnectError.from(err),
        );
      expect({ protocol, code: failed?.code, id: failed?.metadata.get("x-request-id") }).toEqual({ protocol, code: Code.NotFound, id: `${protocol}-err` });
    }
  });

  test("/metrics counts each RPC once, on every protocol, by code, with a latency histogram per method", async () => {
    // A service of its own: its registry must hold its calls only, not those of other instances.
    const fresh = await startTestService();
    try {
      const admin = await fresh.token(randomUUID());
      const register = () =>
        fetch(`${fresh.baseUrl}/api/v1/devices`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "m", hardware_id: "HW-METRICS-1" }),
        });
      const first = await register();
      expect(first.status).toBe(200);
      expect((await register()).status).toBe(409);
      const deviceId = ((await first.json()) as { device_id: string }).device_id;
      const connect = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: fresh.baseUrl, httpVersion: "2" }));
      expect((await connect.getDevice({ deviceId }, { headers: { authorization: `Bearer ${admin}` } })).deviceId).toBe(deviceId);
      const grpc = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${fresh.port}`);
      try {
        await expect(
          grpc.call(DeviceRegistryService.method.getDevice, create(GetDeviceRequestSchema, { deviceId: randomUUID() }), { authorization: `Bearer ${admin}` }),
        ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
      } finally {
        grpc.close();
      }
      expect((await fetch(`${fresh.baseUrl}/api/v1/devices`)).status).toBe(401);

      const samples = await scrape(fresh.baseUrl);
      const requests = samples.filter((s) => s.name === "device_registry_rpc_requests_total");
      expect(requests.map((s) => [s.labels["method"], s.labels["code"], s.value]).sort()).toEqual(
        [
          ["GetDevice", "NOT_FOUND", 1],
          ["GetDevice", "OK", 1],
          ["ListDevices", "UNAUTHENTICATED", 1],
          ["RegisterDevice", "ALREADY_EXISTS", 1],
          ["RegisterDevice", "OK", 1],
        ].sort(),
      );
      expect(requests.every((s) => s.labels["service"] === REGISTRY)).toBe(true);

      for (const [method, calls] of [
        ["RegisterDevice", 2],
        ["GetDevice", 2],
        ["ListDevices", 1],
      ] as const) {
        const labels = { service: REGISTRY, method };
        const buckets = samples.filter((s) => s.name === "device_registry_rpc_duration_seconds_bucket" && s.labels["method"] === method);
        expect(buckets.map((b) => b.labels["le"])).toEqual([
          "0.001",
          "0.0025",
          "0.005",
          "0.01",
          "0.025",
          "0.05",
          "0.1",
          "0.25",
          "0.5",
          "1",
          "2.5",
          "5",
          "10",
          "+Inf",
        ]);
        const counts = buckets.map((b) => b.value);
        expect(counts).toEqual([...counts].sort((a, b) => a - b)); // cumulative
        expect(valueOf(samples, "device_registry_rpc_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(calls);
        expect(valueOf(samples, "device_registry_rpc_duration_seconds_count", labels)).toBe(calls);
        expect(valueOf(samples, "device_registry_rpc_duration_seconds_sum", labels)).toBeGreaterThan(0);
      }

      // No relay runs here: the registration's event waits in the outbox.
      expect(valueOf(samples, "device_registry_outbox_unpublished_events")).toBe(1);
      const age = valueOf(samples, "device_registry_outbox_oldest_unpublished_age_seconds")!;
      expect(age).toBeGreaterThan(0);
      expect(age).toBeLessThan(600);
      const clients = valueOf(samples, "device_registry_db_pool_clients")!;
      expect(clients).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, "device_registry_db_pool_idle_clients")).toBeLessThanOrEqual(clients);
      expect(valueOf(samples, "device_registry_db_pool_waiting_requests")).toBe(0);
      expect(valueOf(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
      expect(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);

      await fresh.db.pool.query("UPDATE outbox SET published_at = now()");
      const after = await scrape(fresh.baseUrl);
      expect(valueOf(after, "device_registry_outbox_unpublished_events")).toBe(0);
      expect(valueOf(after, "device_registry_outbox_oldest_unpublished_age_seconds")).toBe(0);
      // Scrapes are not RPCs.
      expect(after.filter((s) => s.name === "device_registry_rpc_requests_total").reduce((n, s) => n + s.value, 0)).toBe(5);
    } finally {
      await fresh.stop();
    }
  });

  test("GET /api/v1/openapi.json needs no token and is a valid OpenAPI 3.1 document of the REST mapping", async () => {
    const res = await fetch(`${service.baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as Record<string, any>;
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);

    const paths = doc["paths"];
    expect(Object.keys(paths["/api/v1/devices/{device_id}"]).sort()).toEqual(["delete", "get", "patch"]);
    const register = paths["/api/v1/devices"]["post"];
    expect(register).toMatchObject({
      operationId: "DeviceRegistryService_RegisterDevice",
      security: [{ bearerAuth: [] }],
      requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/deviceregistry.v1.RegisterDeviceRequest" } } } },
      responses: {
        "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/deviceregistry.v1.Device" } } } },
        "4XX": { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        "5XX": { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    });
    const list = paths["/api/v1/devices"]["get"];
    expect(list["parameters"].map((p: any) => `${p.in} ${p.name}`)).toEqual(
      ["page_size", "page_token", "group", "tag", "status", "gateway_id", "profile_id", "hardware_id"].map((n) => `query ${n}`),
    );
    const update = paths["/api/v1/devices/{device_id}"]["patch"];
    expect(update["parameters"].map((p: any) => `${p.in} ${p.name}`)).toEqual(["path device_id", "query update_mask", "query etag"]);
    expect(update["requestBody"]["content"]["application/json"]["schema"]).toEqual({ $ref: "#/components/schemas/deviceregistry.v1.Device" });
    expect(paths["/api/v1/devices/{device_id}"]["delete"]["responses"]["200"]["content"]["application/json"]["schema"]).toEqual({
      type: "object",
      additionalProperties: false,
    });
    expect(paths["/api/v1/devices:claim"]["post"]["security"]).toEqual([]);
    expect(paths["/api/v1/devices/{device_id}/config"]["get"]["security"]).toEqual([{ deviceApiKey: [] }]);
    expect(paths["/api/v1/devices:authenticate"]["post"]["security"]).toEqual([{ bearerAuth: [] }]);
    expect(doc["components"]["securitySchemes"]["bearerAuth"]).toEqual(expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }));

    const device = doc["components"]["schemas"]["deviceregistry.v1.Device"]["properties"];
    expect(device["device_id"]).toEqual({ type: "string", readOnly: true, description: "Output only. Generated UUID." });
    expect(device["created_at"]).toMatchObject({ type: "string", format: "date-time", readOnly: true });
    expect(device["config"]).toMatchObject({ type: "object", additionalProperties: true });
    expect(device["tags"]).toMatchObject({ type: "object", additionalProperties: { type: "string" } });
    expect(device["anchor_mode"]).toMatchObject({ $ref: "#/components/schemas/deviceregistry.v1.AnchorMode" });
    expect(doc["components"]["schemas"]["deviceregistry.v1.AnchorMode"]["enum"]).toContain("ANCHOR_MODE_MERKLE_BATCH");
    expect(paths["/api/v1/profiles/{profile_id}"]["patch"]["parameters"][1]).toMatchObject({ name: "update_mask", in: "query", schema: { type: "string" } });
  });

  test("every operation of the document is a route the server answers", async () => {
    const doc = (await (await fetch(`${service.baseUrl}/api/v1/openapi.json`)).json()) as Record<string, any>;
    const operations = Object.entries(doc["paths"] as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, randomUUID()) })),
    );
    expect(operations).toHaveLength(compileRoutes(services).length);
    for (const { method, path } of operations) {
      const res = await fetch(`${service.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      });
      const body = (await res.json()) as { message?: string };
      // Anything but "no such route" (404) or a wrong method (405): the RPC itself answered.
      expect({ method, path, routed: res.status !== 405 && body.message !== "no such route" }).toEqual({ method, path, routed: true });
    }
  });
});

describe("relay metrics with a real Kafka broker", () => {
  let broker: KafkaBroker;
  let service: TestService;

  beforeAll(async () => {
    broker = await startKafka();
    service = await startTestService({ kafka: { brokers: broker.brokers, topic: `metrics-${randomUUID().slice(0, 8)}` } });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await broker?.destroy();
  }, 60_000);

  test("published events are counted, broker outages are counted as kafka failures, and the backlog drains to 0", async () => {
    const admin = await service.token(randomUUID());
    const register = async (hardwareId: string) => {
      const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: hardwareId, hardware_id: hardwareId }),
      });
      expect(res.status).toBe(200);
    };
    for (const hw of ["HW-R-1", "HW-R-2", "HW-R-3"]) await register(hw);
    const published = (n: number) => (samples: readonly Sample[]) => valueOf(samples, "device_registry_relay_published_events_total") === n;
    const kafkaFailures = (samples: readonly Sample[]) => valueOf(samples, "device_registry_relay_failures_total", { stage: "kafka" }) ?? 0;

    let samples = await scrapeUntil(service.baseUrl, published(3));
    expect(valueOf(samples, "device_registry_relay_published_events_total")).toBe(3);
    expect(valueOf(samples, "device_registry_outbox_unpublished_events")).toBe(0);
    expect(valueOf(samples, "device_registry_outbox_oldest_unpublished_age_seconds")).toBe(0);
    expect(kafkaFailures(samples)).toBe(0);

    await broker.stop();
    await register("HW-R-OUTAGE");
    samples = await scrapeUntil(service.baseUrl, (s) => kafkaFailures(s) >= 1);
    expect(kafkaFailures(samples)).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, "device_registry_outbox_unpublished_events")).toBe(1);
    expect(valueOf(samples, "device_registry_outbox_oldest_unpublished_age_seconds")).toBeGreaterThan(0);
    expect(valueOf(samples, "device_registry_relay_published_events_total")).toBe(3);

    await broker.start();
    samples = await scrapeUntil(service.baseUrl, published(4), 90_000);
    expect(valueOf(samples, "device_registry_relay_published_events_total")).toBe(4);
    expect(valueOf(samples, "device_registry_outbox_unpublished_events")).toBe(0);
  }, 180_000);
});
