import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestService, type TestService } from "../support/test-service.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PACKAGE = path.join(ROOT, "clients/typescript");
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd });
const versionOf = (name: string): string => JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
// The transports and Node types a platform team adds next to the client, at the versions of this checkout.
const peers = ["@connectrpc/connect-node", "@connectrpc/connect-web", "@types/node"].map((name) => `${name}@${versionOf(name)}`);

// What a platform team's code does with the three ready clients: an admin imports a device and
// registers another, the imported device claims itself, reads its config with its api_key, and
// a hub authenticates it. `lib` is the package's Node.js entry, imported or required.
const flow = `
  const [baseUrl, protocol, adminToken, hubToken, suffix] = process.argv.slice(2);
  const admin = lib.createAdminClient(baseUrl, { protocol, token: adminToken });
  const registered = await admin.registerDevice({ name: "from a platform team", hardwareId: "HW-REG-" + suffix, anchorMode: lib.AnchorMode.PER_EVENT });
  const fetched = await admin.getDevice({ deviceId: registered.deviceId });
  const imported = await admin.importDevices({ devices: [{ hardwareId: "HW-IMP-" + suffix }] });
  const claimed = await lib.createDeviceClient(baseUrl, { protocol }).claimDevice({ claimKey: imported.results[0].claimKey, hardwareId: "HW-IMP-" + suffix });
  const config = await lib.createDeviceClient(baseUrl, { protocol, apiKey: claimed.apiKey }).getDeviceConfig({ deviceId: claimed.deviceId });
  const identity = await lib.createHubClient(baseUrl, { protocol, token: hubToken }).authenticateDevice({ deviceId: claimed.deviceId, apiKey: claimed.apiKey });
  let refused;
  try { await lib.createHubClient(baseUrl, { protocol, token: hubToken }).authenticateDevice({ deviceId: claimed.deviceId, apiKey: "sk_live_wrong" }); }
  catch (e) { refused = { code: lib.Code[e.code], message: e.rawMessage }; }
  console.log(JSON.stringify({
    service: lib.DeviceRegistryService.typeName,
    registered: { tenantId: fetched.tenantId, anchorMode: lib.AnchorMode[fetched.anchorMode], apiKey: registered.apiKey.startsWith("sk_live_") },
    claimed: { sameDevice: config.deviceId === claimed.deviceId, authenticated: identity.deviceId === claimed.deviceId, tenantId: identity.tenantId },
    refused,
  }));
`;
const esmConsumer = `import * as client from "@device-registry/client/node";\nimport { Code } from "@connectrpc/connect";\nconst lib = { ...client, Code };\n${flow}`;
const cjsConsumer = `const lib = { ...require("@device-registry/client/node"), Code: require("@connectrpc/connect").Code };\n(async () => {\n${flow}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;

// Type-checked against the package's declarations, as ES module and as CommonJS.
const typedConsumer = `import { AnchorMode, createAdminClient, type AdminClient, type Device } from "@device-registry/client/node";
export async function register(baseUrl: string, token: string): Promise<Device> {
  const admin: AdminClient = createAdminClient(baseUrl, { protocol: "grpc", token: () => Promise.resolve(token) });
  return admin.registerDevice({ name: "typed", hardwareId: "HW-TYPED", anchorMode: AnchorMode.PER_EVENT });
}
`;

// A browser page's code, bundled by esbuild for the browser; here run by Node, whose fetch is the browser's API.
const page = `
import { createAdminClient, DeviceRegistryService } from "@device-registry/client/web";
const [baseUrl, token] = globalThis.process.argv.slice(2);
const admin = createAdminClient(baseUrl, { token, useHttpGet: true });
const { deviceId } = await admin.registerDevice({ name: "from the dashboard", hardwareId: "HW-PAGE-1" });
const { devices } = await admin.listDevices({ pageSize: 5 });
console.log(JSON.stringify({ service: DeviceRegistryService.typeName, listed: devices.map((d) => d.deviceId === deviceId) }));
`;

function project(name: string, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

describe("@device-registry/client, installed as a platform team installs it", () => {
  let service: TestService;
  let packed: string;
  let fromTarball: string;
  const dirs: string[] = [];
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService();
    const packDir = mkdtempSync(path.join(os.tmpdir(), "client-pack-"));
    dirs.push(packDir);
    const { stdout } = await npm(["pack", PACKAGE, "--pack-destination", packDir, "--json"], ROOT);
    packed = path.join(packDir, JSON.parse(stdout)[0].filename);
    fromTarball = project("platform-team", {
      "consumer.mjs": esmConsumer,
      "consumer.cjs": cjsConsumer,
      "typed.mts": typedConsumer,
      "typed.cts": typedConsumer,
      "page.mjs": page,
    });
    dirs.push(fromTarball);
    await npm(["install", packed, ...peers], fromTarball);
  }, 240_000);
  afterAll(async () => {
    await service.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("the tarball holds the built package and depends only on protobuf-es and connect-es", async () => {
    const { stdout } = await run("tar", ["-tzf", packed]);
    expect(stdout).toContain("package/dist/esm/node.js");
    expect(stdout).toContain("package/dist/cjs/node.d.ts");
    const installed = JSON.parse(readFileSync(path.join(fromTarball, "node_modules/@device-registry/client/package.json"), "utf8"));
    expect(Object.keys(installed.dependencies).sort()).toEqual(["@bufbuild/protobuf", "@connectrpc/connect"]);
    expect(installed.peerDependenciesMeta).toEqual({ "@connectrpc/connect-node": { optional: true }, "@connectrpc/connect-web": { optional: true } });
    expect(installed.scripts).toBeUndefined();
  });

  test.each([
    ["an ES module", "grpc", "consumer.mjs"],
    ["an ES module", "connect", "consumer.mjs"],
    ["a CommonJS", "grpc", "consumer.cjs"],
    ["a CommonJS", "connect", "consumer.cjs"],
  ])(
    "%s consumer calls every service over %s",
    async (_kind, protocol, file) => {
      const hubToken = await service.token(randomUUID(), "platform_service");
      const suffix = `${file}-${protocol}`.replace(/\W/g, "-");
      const { stdout } = await run(process.execPath, [file, service.baseUrl, protocol, await service.token(tenant), hubToken, suffix], { cwd: fromTarball });
      expect(JSON.parse(stdout)).toEqual({
        service: "deviceregistry.v1.DeviceRegistryService",
        registered: { tenantId: tenant, anchorMode: "PER_EVENT", apiKey: true },
        claimed: { sameDevice: true, authenticated: true, tenantId: tenant },
        refused: { code: "Unauthenticated", message: "Not authorized" },
      });
    },
    60_000,
  );

  test("type-checks from strict ES module and CommonJS TypeScript", async () => {
    writeFileSync(
      path.join(fromTarball, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: ["node"] },
        files: ["typed.mts", "typed.cts"],
      }),
    );
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    await expect(run(process.execPath, [tsc, "-p", fromTarball], { cwd: fromTarball })).resolves.toMatchObject({ stdout: "" });
  }, 90_000);

  test("bundles for the browser with one copy of @bufbuild/protobuf, and the bundle calls the service", async () => {
    const esbuild = path.join(ROOT, "node_modules/esbuild/bin/esbuild");
    await run(esbuild, ["page.mjs", "--bundle", "--platform=browser", "--format=esm", "--outfile=bundle.mjs", "--metafile=meta.json", "--log-level=error"], {
      cwd: fromTarball,
    });
    const inputs = Object.keys(JSON.parse(readFileSync(path.join(fromTarball, "meta.json"), "utf8")).inputs);
    const protobufCopies = new Set(
      inputs.filter((f) => f.includes("node_modules/@bufbuild/protobuf/")).map((f) => f.replace(/\/dist\/(esm|cjs)\/.*$/, "/dist/$1")),
    );
    expect([...protobufCopies]).toEqual(["node_modules/@bufbuild/protobuf/dist/esm"]);
    expect(inputs.some((f) => f.includes("connect-node"))).toBe(false);
    const { stdout } = await run(process.execPath, ["bundle.mjs", service.baseUrl, await service.token(randomUUID())], { cwd: fromTarball });
    expect(JSON.parse(stdout)).toEqual({ service: "deviceregistry.v1.DeviceRegistryService", listed: [true] });
  }, 60_000);

  // Both entries, imported and required, in a project that installed the package some way.
  const checks = {
    "check.mjs": `import { DeviceRegistryService } from "@device-registry/client";\nconst { createAdminClient } = await import("@device-registry/client/node");\nconsole.log(DeviceRegistryService.typeName, typeof createAdminClient, typeof require);`,
    "check.cjs": `console.log(require("@device-registry/client").DeviceRegistryService.typeName, typeof require("@device-registry/client/node").createAdminClient);`,
  };
  const expectChecksPass = async (dir: string) => {
    await expect(run(process.execPath, ["check.mjs"], { cwd: dir })).resolves.toMatchObject({
      stdout: "deviceregistry.v1.DeviceRegistryService function undefined\n",
    });
    await expect(run(process.execPath, ["check.cjs"], { cwd: dir })).resolves.toMatchObject({ stdout: "deviceregistry.v1.DeviceRegistryService function\n" });
  };

  test("installs from a path with nothing to build", async () => {
    const dir = project("platform-team-source", checks);
    dirs.push(dir);
    await npm(["install", PACKAGE, ...peers], dir);
    await expectChecksPass(dir);
  }, 240_000);

  test("installs from a git URL of the release tag, with only the package's files", async () => {
    // A clone of this repository stands for its git host; `npm run client:git-ref` there makes the
    // branch and the version tag, as a release does.
    const repo = mkdtempSync(path.join(os.tmpdir(), "registry-repo-"));
    dirs.push(repo);
    await run("git", ["clone", "--quiet", ROOT, repo]);
    const identity = {
      GIT_AUTHOR_NAME: "release",
      GIT_AUTHOR_EMAIL: "release@example.com",
      GIT_COMMITTER_NAME: "release",
      GIT_COMMITTER_EMAIL: "release@example.com",
    };
    const env = { ...process.env, ...identity };
    const script = path.join(repo, "clients/typescript/scripts/git-ref.mjs");
    const { stdout } = await run(process.execPath, [script], { cwd: repo, env });
    const version = JSON.parse(readFileSync(path.join(PACKAGE, "package.json"), "utf8")).version;
    expect(stdout).toMatch(new RegExp(`^client [0-9a-f]{40}, client-v${version.replace(/\./g, "\\.")}\n$`));
    // Run again on the same HEAD: nothing changes.
    await expect(run(process.execPath, [script], { cwd: repo, env })).resolves.toMatchObject({ stdout });

    const dir = project("platform-team-git", checks);
    dirs.push(dir);
    const spec = `git+file://${repo}#client-v${version}`;
    await npm(["install", spec, ...peers], dir);
    const installed = path.join(dir, "node_modules/@device-registry/client");
    expect(readdirSync(installed).sort()).toEqual(["README.md", "dist", "package.json"]);
    expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).dependencies["@device-registry/client"]).toBe(spec);
    await expectChecksPass(dir);

    // A tagged version is immutable: other contents under the same version are refused.
    writeFileSync(path.join(repo, "clients/typescript/README.md"), "changed\n");
    await run("git", ["commit", "--quiet", "-am", "change the client"], { cwd: repo, env });
    await expect(run(process.execPath, [script], { cwd: repo, env })).rejects.toMatchObject({
      stderr: `client-v${version} already holds other contents: raise the version in clients/typescript/package.json\n`,
    });
  }, 240_000);
});
