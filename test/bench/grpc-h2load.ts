import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadResult } from "./closed-loop-load.js";
import { Samples } from "./percentiles.js";

/**
 * One fixed gRPC request, sent by h2load (nghttp2's C load generator) with `concurrency` streams in
 * flight over `connections` HTTP/2 connections for `durationS`. h2load counts
 * HTTP statuses only, not grpc-status: callers check the server's own count of outcomes.
 */
export async function runH2load(options: {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly connections: number;
  readonly concurrency: number;
  readonly durationS: number;
  readonly workDir: string;
}): Promise<LoadResult> {
  const bodyFile = path.join(options.workDir, "h2load-body.bin");
  const logFile = path.join(options.workDir, "h2load-log.tsv");
  writeFileSync(bodyFile, options.body);
  writeFileSync(logFile, "");
  const streams = Math.max(1, Math.round(options.concurrency / options.connections));
  const args = [
    "-c",
    String(options.connections),
    "-m",
    String(streams),
    "-t",
    "1",
    "-D",
    `${Math.max(1, Math.round(options.durationS * 1000))}ms`,
    "-d",
    bodyFile,
    "--log-file",
    logFile,
    ...Object.entries(options.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    options.url,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.env["H2LOAD"] ?? "h2load", args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`h2load exited with ${code}: ${text.slice(-500)}`))));
  });
  const finished = /finished in ([\d.]+)(m?s)/.exec(output);
  if (!finished) throw new Error(`unexpected h2load output: ${output.slice(-500)}`);
  const elapsedMs = Number(finished[1]) * (finished[2] === "s" ? 1000 : 1);
  const latency = new Samples();
  const errors = new Map<string, number>();
  let ok = 0;
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const [, status, micros] = line.split("\t");
    if (status === undefined || micros === undefined) continue;
    if (status === "200") {
      ok++;
      latency.add(Number(micros) / 1000);
    } else {
      const kind = status === "-1" ? "h2load: no response" : `HTTP ${status}`;
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
    }
  }
  let failed = 0;
  for (const n of errors.values()) failed += n;
  return { calls: ok + failed, ok, errors, latency, elapsedMs, rate: ok / (elapsedMs / 1000) };
}
