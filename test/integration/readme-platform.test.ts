import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { platformBlock as block, platformBlocks } from "../support/readme-blocks.js";
import { startTestService, type TestService } from "../support/test-service.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Each block runs as written, against a test service instead of localhost:8080.
describe("the README's platform-team section, run as written", () => {
  let service: TestService;
  let env: NodeJS.ProcessEnv;
  let project: string;
  const tenant = randomUUID();
  const at = (code: string) => code.replaceAll("localhost:8080", `127.0.0.1:${service.port}`);
  const bash = (code: string, cwd: string) => run("bash", ["-euo", "pipefail", "-c", at(code)], { cwd, env, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });

  beforeAll(async () => {
    service = await startTestService();
    env = { ...process.env, TOKEN: await service.token(tenant), HUB_TOKEN: await service.token(randomUUID(), "platform_service") };
    // A platform team's project next to a checkout of this repository.
    project = mkdtempSync(path.join(os.tmpdir(), "readme-project-"));
    symlinkSync(ROOT, path.join(project, "device-registry"), "dir");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "platform-team", version: "1.0.0", private: true, type: "module" }));
  });
  afterAll(async () => {
    await service.stop();
    rmSync(project, { recursive: true, force: true });
  });

  // The Java block runs in java-client.test.ts, which owns clients/java's Maven build.
  test("has every block these tests run, and no other", () => {
    expect(platformBlocks().map((b) => `${b.lang} ${b.heading}`)).toEqual([
      "sh TypeScript: `@device-registry/client`",
      "ts TypeScript: `@device-registry/client`",
      "sh Connect GET for reads",
      "sh Java, Go and other languages: `proto/`",
      "sh REST: OpenAPI",
      "sh grpcurl, buf curl, Postman: server reflection",
    ]);
  });

  test("TypeScript: packs and installs the client, then imports, claims and authenticates a device", async () => {
    await bash(block("TypeScript", "sh"), project);
    writeFileSync(path.join(project, "app.mjs"), at(block("TypeScript", "ts")));
    const { stdout } = await run(process.execPath, ["app.mjs"], { cwd: project, env });
    expect(stdout).toBe("true\n");
  }, 240_000);

  test("Connect GET: curl reads a device list with GET", async () => {
    const { stdout } = await bash(block("Connect GET", "sh"), ROOT);
    expect(JSON.parse(stdout)).toEqual(expect.objectContaining({ devices: expect.any(Array) }));
  });

  test("OpenAPI: downloads the document and lints it clean", async () => {
    const file = path.join(ROOT, "openapi.json");
    try {
      const { stdout, stderr } = await bash(block("REST", "sh"), ROOT);
      expect(`${stdout}${stderr}`).toContain("Your API description is valid");
      expect(JSON.parse(readFileSync(file, "utf8"))["openapi"]).toBe("3.1.0");
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);

  test("reflection: buf curl lists the methods and registers a device with no proto files", async () => {
    const { stdout } = await bash(block("grpcurl", "sh"), ROOT);
    expect(stdout).toContain("deviceregistry.v1.DeviceRegistryService/RegisterDevice\n");
    expect(stdout).toContain('"hardwareId": "HW-BUF-1"');
  }, 120_000);
});
