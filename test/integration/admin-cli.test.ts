import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { parse } from "csv-parse/sync";
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { progressFormat } from "../../src/cli/import-command.js";
import { createOpenssl } from "../support/openssl.js";
import { startTestService, type TestService } from "../support/test-service.js";

// The built CLI (`npm run build`), run as a user runs it: its own process, over the network.
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli/device-registry.js");
const CLAIM_KEY = /^ck_[A-Za-z0-9_-]{32}$/;

type Run = { code: number | null; stdout: string; stderr: string };

describe("the admin CLI", () => {
  let service: TestService;
  let dir: string;

  /** Runs the CLI against the test service with `token` in DEVICE_REGISTRY_TOKEN. */
  function cli(token: string, ...args: string[]): Promise<Run> {
    return runCommand(process.execPath, [CLI, ...args, "--url", service.baseUrl], { PATH: process.env["PATH"] ?? "", DEVICE_REGISTRY_TOKEN: token });
  }
  /** Runs a command in the test's folder and collects what it prints. */
  function runCommand(command: string, args: string[], env: Record<string, string>): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { env, cwd: dir });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }
  const json = (run: Run) => JSON.parse(run.stdout) as Record<string, any>;
  const csvRecords = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    service = await startTestService();
    dir = mkdtempSync(path.join(os.tmpdir(), "device-registry-cli-"));
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("imports a 10,000-row CSV: a claim key per row in input order, only in the output file, and the keys claim", async () => {
    const tenant = randomUUID();
    const token = await service.token(tenant);
    expect((await cli(token, "profiles", "create", "p_csv", "--firmware", "3.1.0", "--tag", "line=7")).code).toBe(0);
    const ids = Array.from({ length: 10_000 }, (_, i) => `HW-CSV-${String(i).padStart(5, "0")}`);
    const lines = ids.map((id, i) => `${id},Sensor ${i},floor-${i % 3};lab,region=eu;batch=B${i % 10},mac=00:00:${i},p_csv,S-${i % 2}`);
    writeFileSync(path.join(dir, "batch.csv"), `hardware_id,name,groups,tags,meta,profile_id,sub_model\n${lines.join("\n")}\n`);

    const run = await cli(token, "import", "batch.csv", "--out", "keys.csv", "--chunk", "2500");
    expect(run).toMatchObject({ code: 0, stdout: "" });
    expect(run.stderr).toBe("10000 of 10000 rows imported, 0 failed; results in keys.csv\n");

    const text = readFileSync(path.join(dir, "keys.csv"), "utf8");
    expect(text.split("\n")[0]).toBe("hardware_id,claim_key,error_code,error_message");
    const results = csvRecords(text);
    expect(results.map((r) => r["hardware_id"])).toEqual(ids);
    expect(results.every((r) => CLAIM_KEY.test(r["claim_key"]!) && r["error_code"] === "" && r["error_message"] === "")).toBe(true);
    expect(new Set(results.map((r) => r["claim_key"])).size).toBe(10_000);
    expect(statSync(path.join(dir, "keys.csv")).mode & 0o777).toBe(0o600);
    const stored = await service.db.pool.query("SELECT count(*)::int AS n FROM device_claims WHERE tenant_id = $1", [tenant]);
    expect(stored.rows[0].n).toBe(10_000);

    // A device of the batch claims itself with its key from the file and becomes what its row said.
    const provisioning = createClient(DeviceProvisioningService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    for (const i of [0, 4321, 9999]) {
      const claimed = await provisioning.claimDevice({ claimKey: results[i]!["claim_key"]!, hardwareId: ids[i]! });
      expect(claimed.apiKey).toMatch(/^sk_live_/);
      const device = json(await cli(token, "get", claimed.deviceId));
      expect(device).toMatchObject({
        device_id: claimed.deviceId,
        hardware_id: ids[i],
        name: `Sensor ${i}`,
        groups: [`floor-${i % 3}`, "lab"],
        profile_id: "p_csv",
        tags: { region: "eu", batch: `B${i % 10}`, line: "7" },
        meta: { mac: `00:00:${i}` },
        sub_model: `S-${i % 2}`,
        firmware: "3.1.0",
      });
    }
  }, 120_000);

  test("claims and revoke-claim: a pending key is listed and stops working at once when revoked; a hardware_id without one exits 3", async () => {
    const token = await service.token(randomUUID());
    writeFileSync(path.join(dir, "revoke.csv"), "hardware_id\nHW-CLI-REVOKE\n");
    expect((await cli(token, "import", "revoke.csv", "--out", "revoke-keys.csv")).code).toBe(0);
    const [row] = csvRecords(readFileSync(path.join(dir, "revoke-keys.csv"), "utf8"));

    // --state takes the names the API lists and REST's ?state= takes.
    expect(json(await cli(token, "claims", "--state", "STATE_PENDING"))).toEqual({
      claims: [expect.objectContaining({ hardware_id: "HW-CLI-REVOKE", state: "STATE_PENDING" })],
    });
    expect(await cli(token, "claims", "--state", "lost")).toMatchObject({ code: 2, stdout: "" });
    expect(await cli(token, "claims", "--state", "pending")).toMatchObject({
      code: 2,
      stdout: "",
      stderr: expect.stringContaining('--state must be one of STATE_PENDING, STATE_CLAIMED, STATE_EXPIRED, got "pending"'),
    });
    const revoked = await cli(token, "revoke-claim", "HW-CLI-REVOKE");
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(json(revoked)).toEqual({ results: [{ hardware_id: "HW-CLI-REVOKE" }] });
    const provisioning = createClient(DeviceProvisioningService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    await expect(provisioning.claimDevice({ claimKey: row!["claim_key"]!, hardwareId: "HW-CLI-REVOKE" })).rejects.toThrow("Not authorized");

    const again = await cli(token, "revoke-claim", "HW-CLI-REVOKE");
    expect(again.code).toBe(3);
    expect(json(again)).toEqual({
      results: [{ hardware_id: "HW-CLI-REVOKE", error: { code: "NOT_FOUND", message: 'no claim key for hardware_id "HW-CLI-REVOKE" in this tenant' } }],
    });
    expect(json(await cli(token, "claims"))).toEqual({ claims: [] });
    // Six CLI processes: on a loaded machine each can take a second or two to start.
  }, 60_000);

  test("bad rows become error rows in their place and the others are imported; exit code 3", async () => {
    const tenant = randomUUID();
    const token = await service.token(tenant);
    writeFileSync(
      path.join(dir, "bad.csv"),
      [
        "hardware_id,name,tags,is_gateway",
        "HW-BAD-1,fine,region=eu,",
        "bad id,space in the id,,",
        "HW-BAD-2,too,many,fields,here",
        "HW-BAD-3,no equals sign,region,",
        "HW-BAD-1,again in a later chunk,,",
        ",no hardware id,,",
        "HW-BAD-7,gateway?,,maybe",
        "HW-BAD-4,fine too,,yes",
        'HW-BAD-5,"never closed,,',
        "HW-BAD-6,swallowed by the open quote,,",
      ].join("\n"),
    );
    // Without --out the results go to stdout, a pipe here.
    const run = await cli(token, "import", "bad.csv", "--chunk", "2");
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("2 of 9 rows imported, 7 failed; results in stdout\n");
    const results = csvRecords(run.stdout);
    expect(results.map(({ claim_key, ...rest }) => ({ ...rest, claim_key: CLAIM_KEY.test(claim_key!) ? "ck" : claim_key }))).toEqual([
      { hardware_id: "HW-BAD-1", claim_key: "ck", error_code: "", error_message: "" },
      {
        hardware_id: "bad id",
        claim_key: "",
        error_code: "INVALID_ARGUMENT",
        error_message: "line 3: hardware_id: must be 1 to 128 printable characters without whitespace",
      },
      { hardware_id: "HW-BAD-2", claim_key: "", error_code: "INVALID_ARGUMENT", error_message: "line 4: has 5 fields, the header has 4" },
      { hardware_id: "HW-BAD-3", claim_key: "", error_code: "INVALID_ARGUMENT", error_message: 'line 5: tags: "region" is not key=value' },
      { hardware_id: "HW-BAD-1", claim_key: "", error_code: "ALREADY_EXISTS", error_message: 'line 6: hardware_id "HW-BAD-1" already has a pending claim key' },
      { hardware_id: "", claim_key: "", error_code: "INVALID_ARGUMENT", error_message: "line 7: hardware_id: is required" },
      { hardware_id: "HW-BAD-7", claim_key: "", error_code: "INVALID_ARGUMENT", error_message: 'line 8: is_gateway: "maybe" is not true or false' },
      { hardware_id: "HW-BAD-4", claim_key: "ck", error_code: "", error_message: "" },
      { hardware_id: "", claim_key: "", error_code: "INVALID_ARGUMENT", error_message: expect.stringMatching(/^Quote Not Closed: .* line 11$/) },
    ]);
    const stored = await service.db.pool.query("SELECT hardware_id, is_gateway FROM device_claims WHERE tenant_id = $1 ORDER BY hardware_id", [tenant]);
    expect(stored.rows).toEqual([
      { hardware_id: "HW-BAD-1", is_gateway: false },
      { hardware_id: "HW-BAD-4", is_gateway: true },
    ]);
  });

  test("a bad header or an existing output file stops the import before anything is sent", async () => {
    const tenant = randomUUID();
    const token = await service.token(tenant);
    writeFileSync(path.join(dir, "typo.csv"), "hardware_id,grups\nHW-T-1,a\n");
    expect(await cli(token, "import", "typo.csv", "--out", "typo-keys.csv")).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'unknown column "grups" in the header (columns: hardware_id, name, groups, tags, meta, profile_id, sub_model, is_gateway)\n(device-registry --help lists the commands)\n',
    });
    expect(existsSync(path.join(dir, "typo-keys.csv"))).toBe(false);

    writeFileSync(path.join(dir, "one.csv"), "hardware_id\nHW-T-2\n");
    writeFileSync(path.join(dir, "taken.csv"), "keys of an earlier batch\n");
    const taken = await cli(token, "import", "one.csv", "--out", "taken.csv");
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^--out taken.csv already exists: it is never overwritten/);
    expect(readFileSync(path.join(dir, "taken.csv"), "utf8")).toBe("keys of an earlier batch\n");
    const stored = await service.db.pool.query("SELECT count(*)::int AS n FROM device_claims WHERE tenant_id = $1", [tenant]);
    expect(stored.rows[0].n).toBe(0);
  });

  test("everyday commands print the API's JSON; errors print CODE: message and exit 1", async () => {
    const tenant = randomUUID();
    const token = await service.token(tenant);
    const profile = await cli(
      token,
      "profiles",
      "create",
      "p_daily",
      "--display-name",
      "Daily",
      "--group",
      "g1",
      "--tag",
      "k=v",
      "--anchor-mode",
      "ANCHOR_MODE_PER_EVENT",
      "--config",
      '{"interval_s":30}',
    );
    expect(profile.code).toBe(0);
    expect(json(profile)).toMatchObject({
      profile_id: "p_daily",
      tenant_id: tenant,
      display_name: "Daily",
      groups: ["g1"],
      tags: { k: "v" },
      anchor_mode: "ANCHOR_MODE_PER_EVENT",
      config: { interval_s: 30 },
    });
    expect(json(await cli(token, "profiles", "get", "p_daily"))).toMatchObject({ profile_id: "p_daily", display_name: "Daily" });
    expect(json(await cli(token, "profiles", "list"))).toEqual({ profiles: [expect.objectContaining({ profile_id: "p_daily" })] });

    const registered = await cli(
      token,
      "register",
      "--hardware-id",
      "HW-D-1",
      "--name",
      "Daily 1",
      "--profile-id",
      "p_daily",
      "--tag",
      "room=12",
      "--meta",
      "sn=77",
      "--gateway",
    );
    expect(registered.code).toBe(0);
    const device = json(registered);
    expect(device).toMatchObject({
      tenant_id: tenant,
      hardware_id: "HW-D-1",
      name: "Daily 1",
      groups: ["g1"],
      tags: { k: "v", room: "12" },
      meta: { sn: "77" },
      is_gateway: true,
      api_key: expect.stringMatching(/^sk_live_/),
    });
    // gRPC as well as Connect.
    const child = json(await cli(token, "register", "--hardware-id", "HW-D-2", "--name", "Daily 2", "--gateway-id", device["device_id"], "--protocol", "grpc"));
    expect(child).toMatchObject({ hardware_id: "HW-D-2", gateway_id: device["device_id"] });
    await cli(token, "register", "--hardware-id", "HW-D-3", "--name", "Daily 3");

    const got = json(await cli(token, "get", device["device_id"]));
    expect(got).toMatchObject({ device_id: device["device_id"], hardware_id: "HW-D-1" });
    expect(got).not.toHaveProperty("api_key");
    const all = json(await cli(token, "list"));
    expect(all["devices"].map((d: { hardware_id: string }) => d.hardware_id)).toEqual(["HW-D-1", "HW-D-2", "HW-D-3"]);
    const onePage = await cli(token, "list", "--page-size", "2");
    const page = json(onePage);
    expect(page["devices"]).toHaveLength(2);
    // One page is laid out like every page: one device per line, then the token.
    const lines = onePage.stdout.split("\n");
    expect([lines[0], lines.length]).toEqual(['{"devices": [', 5]);
    expect(lines[3]).toBe(`], "next_page_token": ${JSON.stringify(page["next_page_token"])}}`);
    expect(JSON.parse(lines[1]!.replace(/,$/, ""))).toMatchObject({ hardware_id: "HW-D-1" });
    const rest = json(await cli(token, "list", "--page-size", "2", "--page-token", page["next_page_token"]));
    expect(rest["devices"].map((d: { hardware_id: string }) => d.hardware_id)).toEqual(["HW-D-3"]);
    expect(json(await cli(token, "list", "--gateway-id", device["device_id"]))["devices"].map((d: { device_id: string }) => d.device_id)).toEqual([
      child["device_id"],
    ]);
    expect(json(await cli(token, "list", "--tag", "room=12", "--hardware-id", "HW-D-1"))["devices"]).toHaveLength(1);

    const rotated = json(await cli(token, "rotate", device["device_id"]));
    expect(rotated).toEqual({ device_id: device["device_id"], api_key: expect.stringMatching(/^sk_live_/) });
    expect(rotated["api_key"]).not.toBe(device["api_key"]);

    expect(await cli(token, "register", "--hardware-id", "HW-D-3", "--name", "again")).toEqual({
      code: 1,
      stdout: "",
      stderr: 'ALREADY_EXISTS: device with hardware_id "HW-D-3" already exists in this tenant\n',
    });
    const updated = json(await cli(token, "update", device["device_id"], "--name", "Daily one", "--tag", "room=14", "--etag", got["etag"]));
    expect(updated).toMatchObject({ name: "Daily one", tags: { room: "14" }, hardware_id: "HW-D-1", groups: got["groups"] });
    expect(await cli(token, "update", device["device_id"], "--name", "stale", "--etag", got["etag"])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^ABORTED: etag .* is not current/),
    });
    expect(json(await cli(token, "update", device["device_id"], "--clear", "tags"))).not.toHaveProperty("tags");
    expect(await cli(token, "update", device["device_id"])).toMatchObject({ code: 2, stderr: expect.stringContaining("nothing to update") });
    expect(await cli(token, "update", device["device_id"], "--clear", "hardware_id")).toMatchObject({ code: 2 });
    expect(json(await cli(token, "disable", device["device_id"]))).toMatchObject({ status: "disabled" });
    expect(json(await cli(token, "get", device["device_id"]))).toMatchObject({ status: "disabled", name: "Daily one" });
    expect(json(await cli(token, "enable", device["device_id"]))).toMatchObject({ status: "registered" });
    expect(await cli(token, "delete", device["device_id"])).toMatchObject({ code: 0, stdout: "{}\n" });
    expect(await cli(token, "get", child["device_id"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^NOT_FOUND: /) });
    expect(await cli(token, "profiles", "delete", "p_daily")).toMatchObject({ code: 0, stdout: "{}\n" });
    expect(json(await cli(token, "profiles", "list"))).toEqual({ profiles: [] });

    expect(await cli("not-a-jwt", "list")).toMatchObject({ code: 1, stdout: "", stderr: expect.stringMatching(/^UNAUTHENTICATED: /) });
    expect(await cli(token, "register", "--hardware-id", "HW-D-4", "--name", "x", "--anchor-mode", "SIDEWAYS")).toMatchObject({ code: 2, stdout: "" });
    const help = await cli(token, "list", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: device-registry list");
  }, 60_000);

  test("delete --revoke-claim-key deletes an imported device and revokes its claim key in one call", async () => {
    const token = await service.token(randomUUID());
    writeFileSync(path.join(dir, "stolen.csv"), "hardware_id\nHW-CLI-STOLEN\n");
    expect((await cli(token, "import", "stolen.csv", "--out", "stolen-keys.csv")).code).toBe(0);
    const [row] = csvRecords(readFileSync(path.join(dir, "stolen-keys.csv"), "utf8"));
    const provisioning = createClient(DeviceProvisioningService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const claimed = await provisioning.claimDevice({ claimKey: row!["claim_key"]!, hardwareId: "HW-CLI-STOLEN" });
    expect(await cli(token, "delete", claimed.deviceId, "--revoke-claim-key")).toMatchObject({ code: 0, stdout: "{}\n" });
    await expect(provisioning.claimDevice({ claimKey: row!["claim_key"]!, hardwareId: "HW-CLI-STOLEN" })).rejects.toThrow("Not authorized");
    expect(json(await cli(token, "claims"))).toEqual({ claims: [] });
  }, 30_000);

  test("npm run cli and npm run token start the built code: no compile per command (npm ci builds once)", () => {
    const root = path.resolve(path.dirname(CLI), "../../..");
    for (const [script, expected] of [
      ["cli", "usage: device-registry <command>"],
      ["token", "usage: npm run --silent token"],
    ] as const) {
      // npm echoes every script it runs ("> name\n> command"): a build would show up as its own lines.
      const run = spawnSync("npm", ["run", script, "--", "--help"], { cwd: root, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "notice" } });
      expect([script, run.status]).toEqual([script, 0]);
      expect(run.stdout).toContain(expected);
      const ran = run.stdout.split("\n").filter((line) => line.startsWith("> ") && !line.startsWith("> device-registry@"));
      expect(ran).toEqual([`> node dist/src/cli/${script === "cli" ? "device-registry" : "token"}.js --help`]);
    }
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["prepare"]).toBe("npm run build");
  }, 30_000);

  test("output piped into a reader that stops early (| head) ends quietly", async () => {
    const token = await service.token(randomUUID());
    // More output than a pipe holds (64 KiB), so the CLI is still writing when head exits.
    const admin = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        admin.registerDevice(
          { name: `pipe ${i}`, hardwareId: `HW-PIPE-${i}`, meta: Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`pad${k}`, "x".repeat(500)])) },
          { headers: { authorization: `Bearer ${token}` } },
        ),
      ),
    );
    const piped = await runCommand("sh", ["-c", `node "${CLI}" list --url "${service.baseUrl}" | head -n 2`], {
      PATH: path.dirname(process.execPath) + path.delimiter + (process.env["PATH"] ?? ""),
      DEVICE_REGISTRY_TOKEN: token,
    });
    expect(piped.stdout.split("\n")).toHaveLength(3);
    expect(piped.stderr).toBe("");
  }, 60_000);

  test("the progress bar shows no ETA before any progress", () => {
    // The options and parameters cli-progress renders a line with.
    const options = { barCompleteString: "=".repeat(10), barIncompleteString: "-".repeat(10), barsize: 10, barGlue: "", autopaddingChar: "" } as never;
    const at = (value: number, eta: number) =>
      ({ value, total: 100, progress: value / 100, eta, startTime: Date.now(), stopTime: null, maxWidth: 200 }) as never;
    expect(progressFormat(options, at(0, 0), { rows: 0, failed: 0 })).toBe("importing [----------] 0% | 0 rows, 0 failed | ETA --");
    expect(progressFormat(options, at(50, 7), { rows: 5, failed: 0 })).toBe("importing [=====-----] 50% | 5 rows, 0 failed | ETA 7s");
  });

  test("--cacert trusts a private CA for an https:// service; without it the certificate is refused", async () => {
    const openssl = createOpenssl("cli-cacert");
    const file = (name: string) => path.join(openssl.dir, name);
    const ca = await openssl.createCa("/CN=Private Test CA");
    const tls = await openssl.issue(ca, "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1");
    const secure = await startTestService({ tls: { cert: readFileSync(file(tls.cert)), key: readFileSync(file(tls.key)) } });
    try {
      const token = await secure.token(randomUUID());
      const run = (...args: string[]) =>
        new Promise<Run>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, ...args, "--url", secure.baseUrl], {
            env: { PATH: process.env["PATH"] ?? "", DEVICE_REGISTRY_TOKEN: token },
            cwd: dir,
          });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
          child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
          child.once("error", reject);
          child.once("close", (code) => resolve({ code, stdout, stderr }));
        });
      for (const protocol of ["connect", "grpc", "grpc-web"]) {
        expect([protocol, json(await run("list", "--protocol", protocol, "--cacert", file(ca.cert)))]).toEqual([protocol, { devices: [] }]);
      }
      const untrusted = await run("list");
      expect(untrusted).toMatchObject({ code: 1, stdout: "" });
      expect(untrusted.stderr).toMatch(/certificate/i);
      expect(await run("list", "--cacert", file("missing.pem"))).toMatchObject({ code: 2, stderr: expect.stringContaining("--cacert: cannot read") });
    } finally {
      await secure.stop();
      rmSync(openssl.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
