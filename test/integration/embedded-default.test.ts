import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.js";

const TOKEN_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli/token.js");
const TENANT = "11111111-1111-1111-1111-111111111111";

// The README's first command: with no configuration at all the service starts its own PostgreSQL
// under DATA_DIR and runs in dev-mode auth, and the token tool mints tokens it accepts.
describe("the zero-configuration default", () => {
  let dataDir: string;
  let service: ServiceProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "device-registry-default-"));
    rmSync(dataDir, { recursive: true });
  });
  afterAll(async () => {
    await service?.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("starts an embedded PostgreSQL and dev-mode auth in a new data folder, and registers a device", async () => {
    service = await startServiceProcess({ DATA_DIR: dataDir });
    expect(service.logs.some((l) => l.includes("DEV MODE authentication"))).toBe(true);
    // Keys are private; the data folder itself stays traversable for the PostgreSQL user.
    expect(statSync(path.join(dataDir, "auth")).mode & 0o777).toBe(0o700);
    expect(statSync(dataDir).mode & 0o001).toBe(0o001);

    const token = execFileSync(process.execPath, [TOKEN_CLI, "--tenant", TENANT, "--role", "tenant_admin", "--data-dir", dataDir], { encoding: "utf8" }).trim();
    const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Lab Bench Thermometer", hardware_id: "HW-LAB-0001" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      tenant_id: TENANT,
      hardware_id: "HW-LAB-0001",
      status: "registered",
      api_key: expect.stringMatching(/^sk_live_/),
    });
    const ready = await fetch(`${service.baseUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ status: "ready", database: "ok", migrations: "ok", kafka: "disabled" });
  }, 120_000);
});
