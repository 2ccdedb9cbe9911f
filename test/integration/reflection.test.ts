import { create, createFileRegistry, fromBinary, getOption, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { http } from "../../gen/google/api/annotations_pb.js";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { servedServices } from "../../src/routes.js";
import { startTestService, type TestService } from "../support/test-service.js";

const BUF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../node_modules/.bin/buf");
const run = promisify(execFile);

/** Runs `buf curl` (server reflection, no local schema); resolves with its stdout, or rejects with its exit code and output. */
async function bufCurl(...args: string[]): Promise<string> {
  return (await run(BUF, ["curl", ...args], { timeout: 30_000 })).stdout;
}

/** Sends the requests on one reflection stream and collects the answers. */
async function reflect(service: TestService, requests: MessageInitShape<typeof v1.ServerReflectionRequestSchema>[]) {
  const client = createClient(v1.ServerReflection, createGrpcTransport({ baseUrl: service.baseUrl }));
  const answers: v1.ServerReflectionResponse[] = [];
  async function* input() {
    for (const request of requests) yield create(v1.ServerReflectionRequestSchema, request);
  }
  for await (const answer of client.serverReflectionInfo(input())) answers.push(answer);
  return answers;
}

function fileNames(answer: v1.ServerReflectionResponse): string[] {
  if (answer.messageResponse.case !== "fileDescriptorResponse") throw new Error(`not a file answer: ${answer.messageResponse.case}`);
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

/** The files ordered so that each comes after its imports, which must all be among them. */
function importsFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered = new Set<FileDescriptorProto>();
  const visit = (file: FileDescriptorProto) => {
    if (ordered.has(file)) return;
    for (const name of file.dependency) {
      const imported = byName.get(name);
      if (imported === undefined) throw new Error(`${file.name} imports ${name}, which the answer lacks`);
      visit(imported);
    }
    ordered.add(file);
  };
  files.forEach(visit);
  return [...ordered];
}

describe("server reflection", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const allServices = servedServices.map((s) => s.typeName).sort();
  const allMethods = servedServices.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)).sort();

  test("buf curl lists every service and method with no local schema, over v1 and v1alpha", async () => {
    expect((await bufCurl("--list-services", service.baseUrl)).trim().split("\n")).toEqual(allServices);
    expect((await bufCurl("--list-methods", service.baseUrl)).trim().split("\n")).toEqual(allMethods);
    const alpha = await bufCurl("--reflect-protocol", "grpc-v1alpha", "--list-services", service.baseUrl);
    expect(alpha.trim().split("\n")).toEqual(allServices);
    expect(allServices).toEqual([
      "deviceregistry.v1.CertificateRegistrationService",
      "deviceregistry.v1.DeviceAuthService",
      "deviceregistry.v1.DeviceProvisioningService",
      "deviceregistry.v1.DeviceRegistryService",
      "deviceregistry.v1.ManufacturerCaService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  test("buf curl calls RegisterDevice over gRPC with the schema from reflection", async () => {
    const tenant = randomUUID();
    const out = await bufCurl(
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${await service.token(tenant)}`,
      "-d",
      JSON.stringify({ name: "reflected", hardware_id: "HW-REFLECT-1", tags: { via: "buf" } }),
      `${service.baseUrl}/deviceregistry.v1.DeviceRegistryService/RegisterDevice`,
    );
    const device = JSON.parse(out) as Record<string, unknown>;
    expect(device).toMatchObject({ name: "reflected", hardwareId: "HW-REFLECT-1", tenantId: tenant, tags: { via: "buf" } });
    expect(device["apiKey"]).toEqual(expect.any(String));
    const { rows } = await service.db.pool.query("SELECT tenant_id FROM devices WHERE device_id = $1", [device["deviceId"]]);
    expect(rows).toEqual([{ tenant_id: tenant }]);
  });

  test("buf curl over gRPC without a token gets UNAUTHENTICATED from the service, not from reflection", async () => {
    const failure = bufCurl(
      "--protocol",
      "grpc",
      "-d",
      '{"name": "x", "hardware_id": "HW-X"}',
      `${service.baseUrl}/deviceregistry.v1.DeviceRegistryService/RegisterDevice`,
    );
    // buf curl exits with the gRPC code shifted three bits left and prints the error as JSON.
    await expect(failure).rejects.toMatchObject({ code: Code.Unauthenticated << 3 });
    const { stderr } = (await failure.catch((err: { stderr: string }) => err)) as { stderr: string };
    expect(JSON.parse(stderr)).toEqual({ code: "unauthenticated", message: "missing bearer token" });
  });

  test("a file comes with its imports, complete enough to rebuild the schema and its REST annotations", async () => {
    const [answer] = await reflect(service, [
      { host: "h", messageRequest: { case: "fileByFilename", value: "deviceregistry/v1/device_registry_service.proto" } },
    ]);
    expect(answer!.validHost).toBe("h");
    const names = fileNames(answer!);
    expect(names[0]).toBe("deviceregistry/v1/device_registry_service.proto");
    expect(names).toEqual(
      expect.arrayContaining([
        "deviceregistry/v1/device.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    expect(new Set(names).size).toBe(names.length);

    if (answer!.messageResponse.case !== "fileDescriptorResponse") throw new Error("unreachable");
    const files = answer!.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(files) }));
    const registerDevice = registry.getService("deviceregistry.v1.DeviceRegistryService")!.methods.find((m) => m.name === "RegisterDevice")!;
    expect(getOption(registerDevice, http)).toMatchObject({ pattern: { case: "post", value: "/api/v1/devices" }, body: "*" });
  });

  test("symbols, extensions and extension numbers are found; imports already sent on the stream are not sent again", async () => {
    const answers = await reflect(service, [
      { messageRequest: { case: "fileContainingSymbol", value: "deviceregistry.v1.DeviceRegistryService" } },
      { messageRequest: { case: "fileContainingSymbol", value: "deviceregistry.v1.DeviceRegistryService.RegisterDevice" } },
      { messageRequest: { case: "fileContainingSymbol", value: "deviceregistry.v1.Device.hardware_id" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" } },
      { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 72295728 } } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" } },
    ]);
    expect(fileNames(answers[0]!).length).toBeGreaterThan(3);
    expect(fileNames(answers[1]!)).toEqual(["deviceregistry/v1/device_registry_service.proto"]);
    expect(fileNames(answers[2]!)).toEqual(["deviceregistry/v1/device.proto"]);
    expect(fileNames(answers[3]!)).toEqual(["grpc/health/v1/health.proto"]);
    expect(fileNames(answers[4]!)).toEqual(["google/api/annotations.proto"]);
    expect(answers[5]!.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.MethodOptions", extensionNumber: [72295728] },
    });
  });

  test("what is not there answers NOT_FOUND and the stream goes on", async () => {
    const answers = await reflect(service, [
      { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
      { messageRequest: { case: "fileContainingSymbol", value: "deviceregistry.v1.Nope" } },
      { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 1 } } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "nope.Message" } },
      { messageRequest: { case: "listServices", value: "" } },
    ]);
    expect(answers.slice(0, 4).map((a) => a.messageResponse)).toEqual([
      expect.objectContaining({
        case: "errorResponse",
        value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage: 'file "nope.proto" not found' }),
      }),
      expect.objectContaining({
        case: "errorResponse",
        value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage: 'symbol "deviceregistry.v1.Nope" not found' }),
      }),
      expect.objectContaining({
        case: "errorResponse",
        value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage: 'extension 1 of "google.protobuf.MethodOptions" not found' }),
      }),
      expect.objectContaining({
        case: "errorResponse",
        value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage: 'message "nope.Message" not found' }),
      }),
    ]);
    expect(answers[4]!.messageResponse.case).toBe("listServicesResponse");
  });

  test("a request that asks nothing ends the stream with INVALID_ARGUMENT", async () => {
    await expect(reflect(service, [{ host: "h" }])).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "message_request is required" });
  });

  test("v1alpha answers like v1", async () => {
    const client = createClient(v1alpha.ServerReflection, createGrpcTransport({ baseUrl: service.baseUrl }));
    async function* input() {
      yield create(v1alpha.ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      yield create(v1alpha.ServerReflectionRequestSchema, { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.Health" } });
    }
    const answers: v1alpha.ServerReflectionResponse[] = [];
    for await (const answer of client.serverReflectionInfo(input())) answers.push(answer);
    expect(answers[0]!.messageResponse.case === "listServicesResponse" && answers[0]!.messageResponse.value.service.map((s) => s.name).sort()).toEqual(
      allServices,
    );
    expect(answers[1]!.originalRequest?.messageRequest).toEqual({ case: "fileContainingSymbol", value: "grpc.health.v1.Health" });
    const files = answers[1]!.messageResponse.case === "fileDescriptorResponse" ? answers[1]!.messageResponse.value.fileDescriptorProto : [];
    expect(files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name)).toEqual(["grpc/health/v1/health.proto"]);
  });
});
