import { fromBinary, fromJson, toBinary, toJson, toJsonString, type DescMethod, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import http2 from "node:http2";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { connectHttp2, grpcEnvelope, grpcMessageOf, type Http2Client } from "../support/http2-exchange.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * The same calls to a service whose unary HTTP/2 calls take the fast path and to one that serves
 * them through connect-node (each on a database of its own): every answer must be the same, up to
 * what differs between any two runs (ids, keys, timestamps, dates, request ids).
 */

const TENANT = "3f1c1d52-6f0e-4a53-9b51-3c4b1f1f0a01";
const OTHER_TENANT = "3f1c1d52-6f0e-4a53-9b51-3c4b1f1f0a02";
const R = DeviceRegistryService.method;
const P = DeviceProvisioningService.method;
const A = DeviceAuthService.method;

type Format = "grpc" | "connect-json";

interface Answer {
  readonly status: string;
  readonly headers: Record<string, unknown>;
  readonly trailers: Record<string, unknown>;
  readonly endedWithHeaders: boolean;
  readonly message: JsonValue | undefined;
}

/** Masks what two runs never share: UUIDs, keys, certificates, timestamps, page tokens. */
function masked(value: unknown): unknown {
  if (typeof value === "string") {
    return value
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
      .replace(/-----BEGIN [^]*?-----END [A-Z ]+-----\n?/g, "<pem>")
      .replace(/[A-Za-z0-9_+/=-]{24,}/g, "<token>");
  }
  if (Array.isArray(value)) return value.map(masked);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  return value;
}

/** A client of one service: raw HTTP/2 requests, answers decoded and masked. */
function callerOf(client: Http2Client) {
  return async (method: DescMethod, request: JsonValue, token: string | undefined, format: Format = "grpc", extra: Record<string, string> = {}) => {
    const input = fromJson(method.input, request, { ignoreUnknownFields: false });
    const path = `/${method.parent.typeName}/${method.name}`;
    const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const res =
      format === "grpc"
        ? await client.send(path, { "content-type": "application/grpc", te: "trailers", ...auth, ...extra }, grpcEnvelope(toBinary(method.input, input)))
        : await client.send(path, { "content-type": "application/json", ...auth, ...extra }, Buffer.from(toJsonString(method.input, input)));
    const { date, "x-request-id": requestId, "content-length": length, ":status": status, ...headers } = res.headers;
    expect(date).toBeDefined();
    expect(requestId).toBeDefined();
    let message: JsonValue | undefined;
    const bytes = format === "grpc" ? grpcMessageOf(res.body) : res.body;
    if (bytes !== undefined && bytes.byteLength > 0) {
      const ok = format === "grpc" || status === "200";
      message = ok
        ? toJson(method.output, format === "grpc" ? fromBinary(method.output, bytes) : fromJson(method.output, JSON.parse(bytes.toString()) as JsonValue))
        : (JSON.parse(bytes.toString()) as JsonValue);
    }
    const answer: Answer = {
      status: String(status),
      headers: masked(headers) as never,
      trailers: masked(res.trailers) as never,
      endedWithHeaders: res.endedWithHeaders,
      message,
    };
    return { answer: masked(answer) as Answer, message: message as Record<string, any> | undefined };
  };
}

/** The contract's calls in one order, recording every answer. */
async function scenario(service: TestService, client: Http2Client, format: Format): Promise<Answer[]> {
  const call = callerOf(client);
  const admin = await service.token(TENANT);
  const other = await service.token(OTHER_TENANT);
  const hub = await service.token(TENANT, "service");
  const answers: Answer[] = [];
  const record = async (...args: Parameters<typeof call>) => {
    const result = await call(...args);
    answers.push(result.answer);
    return result.message;
  };
  const hw = `HW-LAB-${format}`;
  const device = await record(R.registerDevice, { name: "Lab", hardware_id: hw, groups: ["lab"], tags: { floor: "3" } }, admin, format);
  const deviceId = String(device?.["deviceId"]);
  await record(R.registerDevice, { name: "Lab", hardware_id: hw }, admin, format); // ALREADY_EXISTS, the seed's message
  await record(R.registerDevice, { name: "", hardware_id: "" }, admin, format); // validation
  await record(R.registerDevice, { name: "x", hardware_id: "HW-X" }, undefined, format); // no token
  await record(R.registerDevice, { name: "x", hardware_id: "HW-X" }, "not-a-jwt", format);
  await record(R.registerDevice, { name: "x", hardware_id: "HW-Y" }, await service.token(TENANT, "viewer"), format);
  await record(R.getDevice, { device_id: deviceId }, admin, format, { "x-trace-bin": "AAEC/w==", "x-request-id": "caller-id" });
  await record(R.getDevice, { device_id: deviceId }, other, format); // tenant isolation
  await record(R.getDevice, { device_id: "not-a-uuid" }, admin, format);
  await record(R.listDevices, { page_size: 10 }, admin, format, { origin: "http://dashboard.test" });
  await record(R.updateDevice, { device: { device_id: deviceId, name: "Lab 2" }, update_mask: "name" }, admin, format);
  const rotated = await record(R.rotateDeviceCredential, { device_id: deviceId }, admin, format);
  await record(A.authenticateDevice, { device_id: deviceId, api_key: String(rotated?.["apiKey"]) }, hub, format);
  await record(A.authenticateDevice, { device_id: deviceId, api_key: "sk_live_wrong" }, hub, format); // "Not authorized"
  await record(P.getDeviceConfig, { device_id: deviceId }, hub, format);
  await record(P.registerChildDevices, { parent_device_id: deviceId, children: [] }, admin, format);
  await record(R.createDeviceProfile, { profile: { profile_id: "p_sensor", display_name: "Sensor" } }, admin, format);
  await record(R.getDeviceProfile, { profile_id: "p_sensor" }, admin, format);
  await record(R.listDeviceProfiles, {}, admin, format);
  await record(R.updateDeviceProfile, { profile: { profile_id: "p_sensor", display_name: "Sensor 2" }, update_mask: "displayName" }, admin, format);
  const imported = await record(
    R.importDevices,
    {
      devices: [
        { hardware_id: "HW-F-1", name: "F1" },
        { hardware_id: "HW-F-2", name: "F2" },
      ],
    },
    admin,
    format,
  );
  await record(R.listDeviceClaims, {}, admin, format);
  const claimKey = String(imported?.["results"]?.[0]?.["claimKey"]);
  await record(P.claimDevice, { claim_key: claimKey, hardware_id: "HW-F-1" }, undefined, format);
  await record(P.claimDevice, { claim_key: claimKey, hardware_id: "HW-OTHER" }, undefined, format);
  await record(R.revokeClaimKeys, { hardware_ids: ["HW-F-2"] }, admin, format);
  await record(R.deleteDeviceProfile, { profile_id: "p_sensor" }, admin, format);
  await record(R.deleteDevice, { device_id: deviceId }, admin, format);
  await record(R.getDevice, { device_id: deviceId }, admin, format);
  const deadline = format === "grpc" ? { "grpc-timeout": "5S" } : { "connect-timeout-ms": "5000" };
  await record(R.listDevices, { page_size: 1 }, admin, format, deadline);
  await record(R.listDevices, { page_size: 1 }, admin, format, format === "grpc" ? { "grpc-timeout": "x" } : { "connect-timeout-ms": "x" });
  const accept = format === "grpc" ? { "grpc-accept-encoding": "gzip" } : { "accept-encoding": "gzip" };
  await record(R.listDevices, { page_size: 100 }, admin, format, accept);
  return answers;
}

describe("the HTTP/2 fast path answers every RPC of the contract as connect-node does", () => {
  let fast: TestService;
  let slow: TestService;
  let fastClient: Http2Client;
  let slowClient: Http2Client;

  beforeAll(async () => {
    [fast, slow] = await Promise.all([startTestService(), startTestService({ unaryFastPath: false })]);
    fastClient = connectHttp2(fast.baseUrl);
    slowClient = connectHttp2(slow.baseUrl);
  }, 60_000);
  afterAll(async () => {
    fastClient.close();
    slowClient.close();
    await Promise.all([fast.stop(), slow.stop()]);
  });

  test.each<Format>(["grpc", "connect-json"])(
    "over %s",
    async (format) => {
      const [a, b] = await Promise.all([scenario(fast, fastClient, format), scenario(slow, slowClient, format)]);
      expect(a).toEqual(b);
      expect(a).toHaveLength(31);
      // The answers say what the contract says, so this compared real outcomes, not two failures.
      const codes = a.map((answer) => (format === "grpc" ? answer.trailers["grpc-status"] : answer.status));
      expect(new Set(codes).size).toBeGreaterThanOrEqual(5);
      const duplicate = format === "grpc" ? a[1]!.trailers["grpc-message"] : (a[1]!.message as Record<string, string>)["message"];
      expect(duplicate).toBe(
        format === "grpc"
          ? `device with hardware_id "HW-LAB-grpc" already exists in this tenant`
          : `device with hardware_id "HW-LAB-connect-json" already exists in this tenant`,
      );
    },
    60_000,
  );

  test("a registration over MAX_BODY_BYTES gets the same refusal on both, nothing stored, and the connection stays usable", async () => {
    const refusals = async (service: TestService, client: Http2Client) => {
      const token = await service.token(TENANT);
      const call = callerOf(client);
      const answers = [];
      for (const format of ["grpc", "connect-json"] as const) {
        answers.push((await call(R.registerDevice, { name: "n".repeat(2 * 1024 * 1024), hardware_id: "HW-BIG" }, token, format)).answer);
      }
      const { message } = await call(R.listDevices, { hardware_id: "HW-BIG" }, token);
      expect(message?.["devices"] ?? []).toEqual([]);
      return answers;
    };
    const [a, b] = [await refusals(fast, fastClient), await refusals(slow, slowClient)];
    expect(a).toEqual(b);
    expect(a.map((answer) => [answer.trailers["grpc-status"], answer.status])).toEqual([
      [String(Code.ResourceExhausted), "200"],
      [undefined, "429"],
    ]);
  });

  test("a client deadline is DEADLINE_EXCEEDED on both", async () => {
    for (const service of [fast, slow]) {
      const client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "2" }));
      const token = await service.token(TENANT);
      const failure = await client
        .listDevices({ pageSize: 1 }, { timeoutMs: 1, headers: { authorization: `Bearer ${token}` } })
        .catch((e: unknown) => ConnectError.from(e));
      expect(failure).toMatchObject({ code: Code.DeadlineExceeded });
    }
  });

  test("a registration the client resets mid-body writes nothing, and the connection stays usable", async () => {
    const token = await fast.token(TENANT);
    const body = grpcEnvelope(toBinary(R.registerDevice.input, fromJson(R.registerDevice.input, { name: "cut", hardware_id: "HW-CUT" })));
    const stream = fastClient.session.request({
      ":method": "POST",
      ":path": "/deviceregistry.v1.DeviceRegistryService/RegisterDevice",
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${token}`,
    });
    stream.on("error", () => {});
    stream.write(body.subarray(0, body.byteLength - 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => stream.once("close", resolve));
    const { answer, message } = await callerOf(fastClient)(R.listDevices, { hardware_id: "HW-CUT" }, token);
    expect(answer.trailers["grpc-status"]).toBe("0");
    expect(message?.["devices"] ?? []).toEqual([]);
  });
});
