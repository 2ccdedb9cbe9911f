import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/main.js");

/** The line a service process logs once it listens and handles signals: `{"port":…,"msg":READY}`. */
const READY = "device registry listening";
// The service logs READY at info; above that level it is ready once /healthz answers.
const LOGS_READY = new Set(["trace", "debug", "info"]);

// The last lines of a process are kept, enough for any test and for a bench's long run.
const KEPT_LINES = 10_000;

/** The service as its own process (`node dist/src/main.js`, built by `npm run build`). */
export interface ServiceProcess {
  readonly port: number;
  readonly baseUrl: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The lines the process wrote to stdout (one JSON object each) and stderr. */
  readonly logs: string[];
  /** Sends `signal` (SIGKILL after `graceMs` if it is still running) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** How to start the process, for anything but the service as `npm run build` left it. */
export interface ServiceProcessOptions {
  /** The script to run (default dist/src/main.js); it logs READY with its port like the service. */
  readonly mainJs?: string;
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  /** Longest wait for it to listen before the process is killed (default 60 s). */
  readonly readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
process.once("exit", () => live.forEach((child) => child.kill("SIGKILL")));

/**
 * Starts the service with `env` (plus PATH, LOG_LEVEL info and HOST 127.0.0.1) on a free port and
 * resolves once it listens. No process outlives the one that started it.
 */
export async function startServiceProcess(env: Readonly<Record<string, string>>, options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const logsReady = LOGS_READY.has(env["LOG_LEVEL"] ?? "info");
  // PORT 0 lets the service choose, and READY says which; a quieter one gets a port chosen here.
  const chosenPort = logsReady ? 0 : await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.mainJs ?? MAIN], {
    env: { PATH: process.env["PATH"] ?? "", LOG_LEVEL: "info", ...env, HOST: "127.0.0.1", PORT: String(chosenPort) },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => live.delete(child));
  const logs: string[] = [];
  const kill = async (signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  let gone = false;
  void exited.then(() => (gone = true));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`service not listening within ${options.readyTimeoutMs ?? 60_000} ms:\n${logs.join("\n")}`));
      void kill("SIGKILL");
    }, options.readyTimeoutMs ?? 60_000);
    const listening = (port: number) => {
      clearTimeout(timer);
      resolve(port);
    };
    void exited.then(() => reject(new Error(`service exited before listening:\n${logs.join("\n")}`)));
    eachLine(child.stderr!, (line) => keep(logs, line));
    eachLine(child.stdout!, (line) => {
      keep(logs, line);
      const ready = readyPort(line);
      if (ready !== undefined) listening(ready);
    });
    if (!logsReady) void untilHealthy(chosenPort, () => gone).then((healthy) => healthy && listening(chosenPort));
  });
  return { port, baseUrl: `http://127.0.0.1:${port}`, pid: child.pid!, child, logs, kill };
}

/** Calls `onLine` for every line of `stream`, the last one too if it has no newline. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  // A loaded service writes thousands of lines a second: split each chunk once.
  let buffered = "";
  stream.on("data", (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split("\n");
    buffered = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => buffered !== "" && onLine(buffered));
}

/** Keeps the last KEPT_LINES lines or more, trimming in steps rather than on every line. */
function keep(logs: string[], line: string): void {
  logs.push(line);
  if (logs.length > 2 * KEPT_LINES) logs.splice(0, logs.length - KEPT_LINES);
}

/** The port of a READY line, or undefined for any other line. */
function readyPort(line: string): number | undefined {
  if (!line.includes(READY)) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    return entry.msg === READY && entry.port ? entry.port : undefined;
  } catch {
    return undefined;
  }
}

/** Polls /healthz until it answers 200 (true) or `stopped` holds (false). */
async function untilHealthy(port: number, stopped: () => boolean): Promise<boolean> {
  while (!stopped()) {
    if (await healthy(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
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
