import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded-postgres.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi } from "../support/rest-api.js";
import { createTestDatabase } from "../support/test-database.js";
import { startTestService, type TestService } from "../support/test-service.js";

// A PostgreSQL server of this file's own, stopped and started again under the running service.

const UNAVAILABLE_MESSAGE = "the database is unavailable; try again";

/** What one call answered, by protocol: "OK", or the code name (and for REST the HTTP status and Retry-After). */
interface Answer {
  readonly protocol: "REST" | "Connect" | "gRPC";
  readonly code: string;
  readonly message?: string;
  readonly status?: number;
  readonly retryAfter?: string | null;
}

describe("a PostgreSQL restart under the service", () => {
  let dir: string;
  let server: EmbeddedDatabase;
  let port: number;
  let service: TestService;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "outage-pg-"));
    chmodSync(dir, 0o755);
    server = await startEmbeddedPostgres(dir);
    port = Number(new URL(server.url).port);
    service = await startTestService({ db: await createTestDatabase({ serverUrl: server.url }) });
    token = await service.token(randomUUID());
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test("answers UNAVAILABLE (503 with Retry-After on REST), never INTERNAL, on every protocol, and recovers", async () => {
    const connect = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const grpc = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    const auth = { authorization: `Bearer ${token}` };
    const register = DeviceRegistryService.method.registerDevice;
    let serial = 0;
    const callers: Record<Answer["protocol"], () => Promise<Answer>> = {
      async REST() {
        const hardwareId = `HW-OUTAGE-REST-${serial++}`;
        const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ name: hardwareId, hardware_id: hardwareId }),
        });
        const body = (await res.json()) as { code?: string; message?: string };
        return { protocol: "REST", code: body.code ?? "OK", message: body.message, status: res.status, retryAfter: res.headers.get("retry-after") } as Answer;
      },
      async Connect() {
        try {
          await connect.registerDevice({ name: "outage", hardwareId: `HW-OUTAGE-CONNECT-${serial++}` }, { headers: auth });
          return { protocol: "Connect", code: "OK" };
        } catch (err) {
          const e = ConnectError.from(err);
          return { protocol: "Connect", code: Code[e.code], message: e.rawMessage, retryAfter: e.metadata.get("retry-after") };
        }
      },
      async gRPC() {
        try {
          await grpc.call(register, create(register.input, { name: "outage", hardwareId: `HW-OUTAGE-GRPC-${serial++}` }), auth);
          return { protocol: "gRPC", code: "OK" };
        } catch (err) {
          const e = err as ServiceError;
          return {
            protocol: "gRPC",
            code: GrpcStatus[e.code],
            message: e.details,
            retryAfter: (e.metadata?.get("retry-after")[0] as string | undefined) ?? null,
          };
        }
      },
    };
    const answers: Answer[] = [];
    let running = true;
    const workers = Object.values(callers).flatMap((call) =>
      Array.from({ length: 3 }, async () => {
        while (running) {
          answers.push(await call());
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      await server.stop();
      await new Promise((r) => setTimeout(r, 2_000));
      server = await startEmbeddedPostgres(dir, undefined, port);
      // Running again: every protocol registers once more before the load stops.
      const recovered = async (protocol: Answer["protocol"]) => {
        for (let i = 0; i < 200 && !(await callers[protocol]()).code.startsWith("OK"); i++) await new Promise((r) => setTimeout(r, 100));
      };
      await Promise.all((["REST", "Connect", "gRPC"] as const).map(recovered));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      running = false;
      await Promise.all(workers);
      grpc.close();
    }

    const refused = answers.filter((a) => a.code !== "OK");
    expect(refused.filter((a) => !["UNAVAILABLE", "Unavailable"].includes(a.code))).toEqual([]);
    for (const protocol of ["REST", "Connect", "gRPC"] as const) {
      const ofProtocol = answers.filter((a) => a.protocol === protocol);
      expect({ protocol, unavailable: ofProtocol.some((a) => a.code !== "OK") }).toEqual({ protocol, unavailable: true });
      // The last answers of each protocol, after the restart, are successes.
      expect(ofProtocol.slice(-2).map((a) => a.code)).toEqual(["OK", "OK"]);
    }
    for (const a of refused) {
      expect(a).toMatchObject({ message: UNAVAILABLE_MESSAGE, retryAfter: "1" });
      if (a.protocol === "REST") expect(a.status).toBe(503);
    }
  }, 180_000);

  test("concurrent gateway_id updates in a cycle never deadlock: each round one move is refused, none is a 500", async () => {
    const api = createRestApi(service.baseUrl);
    const gateways = await Promise.all([1, 2, 3].map((i) => api.register(token, { name: `gw${i}`, hardware_id: `HW-CYCLE-${i}`, is_gateway: true })));
    const ids = gateways.map((g) => g["device_id"] as string);
    const move = (id: string, gatewayId: string) => api.call("PATCH", `/api/v1/devices/${id}?update_mask=gateway_id`, token, { gateway_id: gatewayId });
    for (let round = 0; round < 30; round++) {
      await Promise.all(ids.map((id) => move(id, "")));
      const replies = await Promise.all(ids.map((id, i) => move(id, ids[(i + 1) % 3]!)));
      const statuses = replies.map((r) => r.status);
      expect({ round, statuses: statuses.filter((s) => s !== 200 && s !== 400) }).toEqual({ round, statuses: [] });
      for (const r of replies.filter((r) => r.status === 400))
        expect(r.body["message"]).toMatch(/^device\.gateway_id: .* is this device or one of its children$/);
      // Never a cycle: exactly two of the three moves went through.
      expect({ round, moved: statuses.filter((s) => s === 200).length }).toEqual({ round, moved: 2 });
    }
  }, 120_000);
});
