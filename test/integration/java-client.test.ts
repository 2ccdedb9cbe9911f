import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { platformBlock } from "../support/readme-blocks.js";
import { createOpenssl } from "../support/openssl.js";
import { startTestService, type TestService } from "../support/test-service.js";

const run = promisify(execFile);
const JAVA_CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../clients/java");
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** The example's `key<TAB>value` lines as an object (without the colour resets Maven 3.8 prints even with -q). */
const outcomes = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    stdout
      .replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n")
      .filter((line) => line.includes("\t"))
      .map((line) => line.split("\t") as [string, string]),
  );

/** Runs clients/java's example (built) against `service` over TLS, trusting `caFile`. */
async function runExample(service: TestService, tenant: string, prefix: string, caFile: string): Promise<Record<string, string>> {
  const classpath = `${path.join(JAVA_CLIENT, "target/classes")}:${readFileSync(path.join(JAVA_CLIENT, "target/classpath.txt"), "utf8").trim()}`;
  const args = [`127.0.0.1:${service.port}`, await service.token(tenant), await service.token(randomUUID(), "platform_service"), prefix, caFile];
  const { stdout } = await run("java", ["-cp", classpath, "com.deviceregistry.example.DeviceRegistryExample", ...args], { timeout: 60_000 });
  return outcomes(stdout);
}

function expectEveryOutcome(outcome: Record<string, string>, tenant: string, prefix: string): void {
  expect(outcome).toEqual({
    registered: expect.stringMatching(new RegExp(`^${UUID} ${tenant} true$`)),
    register_again: `ALREADY_EXISTS device with hardware_id "${prefix}-REG" already exists in this tenant`,
    claimed: expect.stringMatching(new RegExp(`^${UUID} true$`)),
    authenticated: `${outcome["claimed"]?.split(" ")[0]} ${tenant}`,
    authenticate_wrong_key: "UNAUTHENTICATED Not authorized",
    short_deadline: expect.stringMatching(/^DEADLINE_EXCEEDED /),
  });
}

// grpc-java, with stubs protoc generates from proto/ at build time, is a peer no one here wrote:
// its own HTTP/2 stack (Netty), framing, deadlines and TLS.
describe("the Java example client (grpc-java, stubs from proto/)", () => {
  describe("built and run over cleartext HTTP/2 (h2c) by the README's commands", () => {
    let service: TestService;
    beforeAll(async () => (service = await startTestService()));
    afterAll(() => service.stop());

    test("registers, is refused a duplicate, claims, authenticates and honours its deadline", async () => {
      const tenant = randomUUID();
      const commands = platformBlock("Java", "sh").replaceAll("localhost:8080", `127.0.0.1:${service.port}`);
      const env = { ...process.env, TOKEN: await service.token(tenant), HUB_TOKEN: await service.token(randomUUID(), "platform_service") };
      const { stdout } = await run("bash", ["-euo", "pipefail", "-c", commands], { cwd: path.resolve(JAVA_CLIENT, "../.."), env, timeout: 600_000 });
      expectEveryOutcome(outcomes(stdout), tenant, "HW-JAVA-1");
    }, 600_000);
  });

  describe("over TLS", () => {
    let service: TestService;
    let dir: string;
    let certPath: string;
    beforeAll(async () => {
      const openssl = createOpenssl("java-tls");
      dir = openssl.dir;
      const { cert, key } = await openssl.selfSignedServer();
      certPath = path.join(dir, cert);
      service = await startTestService({ tls: { cert: readFileSync(certPath), key: readFileSync(path.join(dir, key)) } });
    });
    afterAll(async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("does the same through TLS with ALPN h2, trusting the service's certificate", async () => {
      const tenant = randomUUID();
      expectEveryOutcome(await runExample(service, tenant, "HW-JAVA-TLS", certPath), tenant, "HW-JAVA-TLS");
    }, 90_000);
  });
});
