import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestService, type TestService } from "../support/test-service.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// An outside project that depends on this package by name (linked, as `npm install <path>` does).
const consumer = `
import { createDeviceRegistryClient } from "device-registry/client";
import { DeviceRegistryService } from "device-registry/gen/deviceregistry/v1/device_registry_service_pb.js";

const [baseUrl, protocol, token, hardwareId] = process.argv.slice(2);
const client = createDeviceRegistryClient(baseUrl, { protocol, token });
const device = await client.registerDevice({ name: "from a platform team", hardwareId });
const fetched = await client.getDevice({ deviceId: device.deviceId });
console.log(JSON.stringify({ service: DeviceRegistryService.typeName, deviceId: fetched.deviceId, tenantId: fetched.tenantId, apiKey: device.apiKey.length > 0 }));
`;

// The same as TypeScript, type-checked against the package's declarations.
const typedConsumer = `
import { createDeviceRegistryClient, type Protocol } from "device-registry/client";
import { AnchorMode, type Device } from "device-registry/gen/deviceregistry/v1/device_pb.js";

export async function register(baseUrl: string, protocol: Protocol, token: string): Promise<Device> {
  const client = createDeviceRegistryClient(baseUrl, { protocol, token });
  return client.registerDevice({ name: "typed", hardwareId: "HW-TYPED", anchorMode: AnchorMode.PER_EVENT });
}
`;

describe("the generated client, imported by package name", () => {
  let service: TestService;
  let project: string;
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService();
    project = mkdtempSync(path.join(os.tmpdir(), "platform-team-"));
    mkdirSync(path.join(project, "node_modules"));
    symlinkSync(ROOT, path.join(project, "node_modules", "device-registry"), "dir");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "platform-team", type: "module", private: true }));
    writeFileSync(path.join(project, "consumer.mts"), typedConsumer);
    writeFileSync(path.join(project, "consumer.mjs"), consumer);
  });
  afterAll(async () => {
    await service.stop();
    rmSync(project, { recursive: true, force: true });
  });

  test.each(["connect", "grpc", "grpc-web"])("calls the service over %s", async (protocol) => {
    const token = await service.token(tenant);
    const { stdout } = await run(process.execPath, ["consumer.mjs", service.baseUrl, protocol, token, `HW-PKG-${protocol}`], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ service: "deviceregistry.v1.DeviceRegistryService", deviceId: expect.any(String), tenantId: tenant, apiKey: true });
  });

  test("type-checks in a strict TypeScript project through the package's exports", async () => {
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2023", strict: true, noEmit: true, skipLibCheck: true }, files: ["consumer.mts"] }),
    );
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    await expect(run(process.execPath, [tsc, "-p", project], { cwd: project })).resolves.toMatchObject({ stdout: "" });
  }, 60_000);
});
