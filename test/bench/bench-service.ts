import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";

/** The service as its own process (`node dist/src/main.js`), on a port chosen here. */
export interface BenchService {
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  /** Last lines the process wrote (stdout and stderr). */
  readonly logs: readonly string[];
  /** SIGTERM (graceful: in-flight calls and the relay's batch finish), SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** No service process outlives the bench, whatever way it ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** Starts `node [nodeArgs] mainJs` with exactly `env` (plus PATH, HOST, PORT) and resolves once /healthz answers. */
export async function startBenchService(options: {
  readonly mainJs: string;
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}): Promise<BenchService> {
  installExitHook();
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.mainJs], {
    env: { PATH: process.env["PATH"] ?? "", ...options.env, HOST: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) logs.push(line);
    if (logs.length > 400) logs.splice(0, logs.length - 200);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      live.delete(child);
      resolve();
    }),
  );
  child.once("error", (err) => logs.push(`spawn error: ${err.message}`));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  let gone = false;
  void exited.then(() => (gone = true));
  while (!(await healthy(port))) {
    if (gone) throw new Error(`service exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}):\n${logs.join("\n")}`);
    if (performance.now() > deadline) {
      await stop(2_000);
      throw new Error(`service not ready on port ${port} in time:\n${logs.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, port, baseUrl: `http://127.0.0.1:${port}`, logs, stop };
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/healthz", agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
