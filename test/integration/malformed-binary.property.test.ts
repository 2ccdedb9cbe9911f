import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { RegisterDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { registrationRowCounts } from "../support/test-database.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Throws malformed binary RegisterDevice requests at Connect (application/proto), gRPC and
 * gRPC-Web, all on one HTTP/2 connection: undecodable protobuf (truncated, a byte replaced, garbage inserted, invalid UTF-8 in
 * a string, a wrong wire type, nesting past the decoder's limit, random bytes) and decodable
 * requests that must still be refused (a broken name or hardware_id, NaN or Infinity in config).
 * Every answer must be INVALID_ARGUMENT — never INTERNAL — and no row may be written.
 */

const PATH = "/deviceregistry.v1.DeviceRegistryService/RegisterDevice";
const PER_PROTOCOL = 10_000;
const BATCH = 50; // bodies per run, each sent over the three protocols

const CONTROL = /\p{Cc}/u;
const PRINTABLE_TOKEN = /^[^\s\p{C}]+$/u;

/** Whether the service might accept `bytes` as a registration (an over-approximation). */
function couldRegister(bytes: Uint8Array): boolean {
  let request;
  try {
    request = fromBinary(RegisterDeviceRequestSchema, bytes);
  } catch {
    return false;
  }
  const { name, hardwareId } = request;
  return name.length > 0 && [...name].length <= 200 && !CONTROL.test(name) && [...hardwareId].length <= 128 && PRINTABLE_TOKEN.test(hardwareId);
}

// ---- generators -----------------------------------------------------------------------------

const brokenName = fc.oneof(fc.constant(""), fc.constantFrom("a\u0000b", "\u001b[1m", "x".repeat(201)));
const brokenHardwareId = fc.oneof(fc.constant(""), fc.constantFrom("HW 1", "HW\t1", "\u00a0", "H".repeat(129)));
const okName = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !CONTROL.test(s) && s.trim() !== "");
const okHardwareId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/).map((s) => `FUZZ-${s}`);
const badNumber = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);

/** A config nested `depth` levels of Struct in Struct. */
const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** A decodable request that validation must refuse: a broken name or hardware_id, or a config number no JSON can hold. */
const refusedRequest = fc
  .oneof(
    fc.tuple(brokenName, okHardwareId).map(([name, hardwareId]) => ({ kind: "broken name", name, hardwareId, config: undefined as unknown })),
    fc.tuple(okName, brokenHardwareId).map(([name, hardwareId]) => ({ kind: "broken hardware_id", name, hardwareId, config: undefined as unknown })),
    fc
      .tuple(brokenName, brokenHardwareId, badNumber)
      .map(([name, hardwareId, n]) => ({ kind: "broken name and NaN config", name, hardwareId, config: { n } as unknown })),
  )
  .map(({ kind, name, hardwareId, config }) => ({
    kind,
    bytes: toBinary(
      RegisterDeviceRequestSchema,
      create(RegisterDeviceRequestSchema, { name, hardwareId, ...(config === undefined ? {} : { config: config as never }) }),
    ),
  }));

const INVALID_UTF8: readonly number[][] = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
const splice = (bytes: Uint8Array, at: number, remove: number, insert: readonly number[]) =>
  Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at + remove)]);

/** Byte-level damage on top of a refused request. */
const damaged = fc
  .tuple(
    refusedRequest,
    fc.constantFrom("as is", "truncated", "byte replaced", "garbage inserted", "invalid UTF-8 name", "wrong wire type", "length past the end"),
    fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    fc.integer({ min: 0, max: 255 }),
    fc.uint8Array({ minLength: 1, maxLength: 12 }),
    fc.constantFrom(...INVALID_UTF8),
  )
  .map(([{ kind, bytes }, how, where, byte, garbage, badUtf8]) => {
    const at = Math.floor(where * bytes.length);
    switch (how) {
      case "truncated":
        return { kind: `${kind}, truncated`, bytes: bytes.subarray(0, at) };
      case "byte replaced":
        return { kind: `${kind}, byte replaced`, bytes: splice(bytes, at, 1, [byte]) };
      case "garbage inserted":
        return { kind: `${kind}, garbage inserted`, bytes: splice(bytes, at, 0, [...garbage]) };
      case "invalid UTF-8 name":
        // Field 1 (name), length-delimited, holding bytes that are not UTF-8.
        return { kind: `${kind}, invalid UTF-8 name`, bytes: Uint8Array.from([...bytes, 0x0a, badUtf8.length, ...badUtf8]) };
      case "wrong wire type":
        // Field 2 (hardware_id) as a varint, field 10 (config) as a fixed32.
        return { kind: `${kind}, wrong wire type`, bytes: Uint8Array.from([...bytes, ...(byte % 2 ? [0x10, 0x01] : [0x55, 1, 2, 3, 4])]) };
      case "length past the end":
        return { kind: `${kind}, length past the end`, bytes: Uint8Array.from([...bytes, 0x1a, 0x7f, 0x41]) };
      default:
        return { kind, bytes };
    }
  });

/** Struct nesting past the binary decoder's recursion limit (100 messages: 50 levels of Struct). */
const tooDeep = fc.integer({ min: 51, max: 400 }).map((depth) => ({
  kind: "config nested past the decoder's limit",
  bytes: toBinary(RegisterDeviceRequestSchema, create(RegisterDeviceRequestSchema, { name: "deep", hardwareId: "HW-DEEP", config: nested(depth) as never })),
}));

/** NaN or Infinity in an otherwise valid request: refused naming config. */
const badConfigNumber = fc.tuple(okName, okHardwareId, badNumber).map(([name, hardwareId, n]) => ({
  kind: "NaN or Infinity in config",
  bytes: toBinary(RegisterDeviceRequestSchema, create(RegisterDeviceRequestSchema, { name, hardwareId, config: { reading: n } as never })),
}));

const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: "random bytes", bytes }));

const built = fc.oneof({ weight: 6, arbitrary: damaged }, { weight: 2, arbitrary: randomBytes }, { weight: 1, arbitrary: tooDeep });
const malformed = built.filter((b) => !couldRegister(b.bytes));

// ---- the test -------------------------------------------------------------------------------

describe("RegisterDevice under malformed binary input", () => {
  let service: TestService;
  let token: string;
  let session: http2.ClientHttp2Session;

  beforeAll(async () => {
    service = await startTestService();
    token = await service.token(randomUUID());
    session = http2.connect(service.baseUrl);
  });
  afterAll(async () => {
    session.close();
    await service.stop();
  });

  const rowCounts = () => registrationRowCounts(service.db.pool);

  const envelope = (bytes: Uint8Array) => {
    const frame = Buffer.alloc(5 + bytes.length);
    frame.writeUInt32BE(bytes.length, 1);
    frame.set(bytes, 5);
    return frame;
  };

  /** One exchange on the shared HTTP/2 session: status, headers and trailers merged, body. */
  function exchange(headers: http2.OutgoingHttpHeaders, body: Uint8Array): Promise<{ status: number; fields: http2.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": PATH, authorization: `Bearer ${token}`, ...headers });
      let status = 0;
      let fields: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => ((status = Number(h[":status"])), (fields = h)));
      stream.on("trailers", (t) => (fields = { ...fields, ...t }));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => resolve({ status, fields, body: Buffer.concat(chunks) }));
      stream.end(body);
    });
  }

  /** Connect unary, binary: the code and message of the JSON error body. */
  async function connectBinary(bytes: Uint8Array): Promise<{ status: number; code: string; message: string }> {
    const reply = await exchange({ "content-type": "application/proto", "connect-protocol-version": "1" }, bytes);
    if (reply.status === 200) return { status: 200, code: "ok", message: "" };
    const json = JSON.parse(reply.body.toString()) as { code: string; message: string };
    return { status: reply.status, code: json.code, message: json.message };
  }

  /** gRPC: grpc-status and grpc-message. */
  async function grpc(bytes: Uint8Array): Promise<{ status: number; code: string; message: string }> {
    const reply = await exchange({ "content-type": "application/grpc", te: "trailers" }, envelope(bytes));
    return { status: reply.status, code: String(reply.fields["grpc-status"]), message: decodeURIComponent(String(reply.fields["grpc-message"] ?? "")) };
  }

  /** gRPC-Web: the status from the trailers frame at the end of the body (or the headers). */
  async function grpcWeb(bytes: Uint8Array): Promise<{ status: number; code: string; message: string }> {
    const reply = await exchange({ "content-type": "application/grpc-web+proto", "x-grpc-web": "1" }, envelope(bytes));
    let trailers = "";
    for (let at = 0; at + 5 <= reply.body.length;) {
      const length = reply.body.readUInt32BE(at + 1);
      if (reply.body[at]! & 0x80) trailers = reply.body.subarray(at + 5, at + 5 + length).toString();
      at += 5 + length;
    }
    const fields: Record<string, unknown> = { ...reply.fields };
    for (const line of trailers.split("\r\n").filter(Boolean))
      fields[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
    return { status: reply.status, code: String(fields["grpc-status"]), message: decodeURIComponent(String(fields["grpc-message"] ?? "")) };
  }

  test(`${PER_PROTOCOL.toLocaleString("en")} malformed bodies each over Connect binary, gRPC and gRPC-Web: all INVALID_ARGUMENT, none writes a row`, async () => {
    const before = await rowCounts();
    const counts = { connect: 0, grpc: 0, grpcWeb: 0 };
    const kinds = new Set<string>();

    await fc.assert(
      fc.asyncProperty(fc.array(malformed, { minLength: BATCH, maxLength: BATCH }), async (bodies) => {
        const replies = await Promise.all(
          bodies.flatMap((body) => [
            connectBinary(body.bytes).then((r) => ({ protocol: "connect" as const, kind: body.kind, status: r.status, code: r.code, named: r.message !== "" })),
            grpc(body.bytes).then((r) => ({ protocol: "grpc" as const, kind: body.kind, status: r.status, code: r.code, named: r.message !== "" })),
            grpcWeb(body.bytes).then((r) => ({ protocol: "grpcWeb" as const, kind: body.kind, status: r.status, code: r.code, named: r.message !== "" })),
          ]),
        );
        for (const reply of replies) {
          counts[reply.protocol]++;
          kinds.add(reply.kind);
          const expected = reply.protocol === "connect" ? { status: 400, code: "invalid_argument" } : { status: 200, code: "3" };
          expect(reply).toEqual({ protocol: reply.protocol, kind: reply.kind, ...expected, named: true });
        }
      }),
      { numRuns: PER_PROTOCOL / BATCH },
    );
    expect(counts).toEqual({ connect: PER_PROTOCOL, grpc: PER_PROTOCOL, grpcWeb: PER_PROTOCOL });
    expect(await rowCounts()).toEqual(before);
    const all = [...kinds].join("\n");
    for (const kind of [
      "truncated",
      "byte replaced",
      "invalid UTF-8 name",
      "wrong wire type",
      "length past the end",
      "random bytes",
      "nested past",
      "NaN config",
    ]) {
      expect(all).toContain(kind);
    }
  }, 600_000);

  test("NaN and Infinity in config: INVALID_ARGUMENT naming config on every binary protocol, nothing written", async () => {
    const before = await rowCounts();
    for (const { bytes } of fc.sample(badConfigNumber, 9)) {
      expect(await connectBinary(bytes)).toEqual({ status: 400, code: "invalid_argument", message: expect.stringMatching(/^config: /) });
      expect(await grpc(bytes)).toEqual({ status: 200, code: "3", message: expect.stringMatching(/^config: /) });
      expect(await grpcWeb(bytes)).toEqual({ status: 200, code: "3", message: expect.stringMatching(/^config: /) });
    }
    expect(await rowCounts()).toEqual(before);
  });

  test("the safety net: a valid request passes it, and a valid request still registers on every protocol", async () => {
    const valid = (hw: string) => toBinary(RegisterDeviceRequestSchema, create(RegisterDeviceRequestSchema, { name: "still alive", hardwareId: hw }));
    expect(couldRegister(valid("HW-X"))).toBe(true);
    expect(await connectBinary(valid("HW-AFTER-BIN-CONNECT"))).toMatchObject({ status: 200 });
    expect(await grpc(valid("HW-AFTER-BIN-GRPC"))).toMatchObject({ status: 200, code: "0" });
    expect(await grpcWeb(valid("HW-AFTER-BIN-GRPC-WEB"))).toMatchObject({ status: 200, code: "0" });
  });
});
