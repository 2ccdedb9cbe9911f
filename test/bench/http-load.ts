import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/** The outcome of one `POST /api/v1/devices`, times from performance.now(). */
export interface Registration {
  readonly status: number;
  /** The registered device, on 200. */
  readonly deviceId: string | undefined;
  /** A transport error or timeout (status 0). */
  readonly error: string | undefined;
  readonly sentAt: number;
  /** When the whole reply had arrived (or the request failed). */
  readonly repliedAt: number;
}

/** Registers devices over REST through one keep-alive agent (HTTP/1.1, 127.0.0.1). */
export class RegistrationClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private active = 0;

  constructor(
    baseUrl: string,
    private readonly token: string,
    maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = new URL("/api/v1/devices", baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" });
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.active;
  }

  register(hardwareId: string): Promise<Registration> {
    const body = JSON.stringify({ name: hardwareId, hardware_id: hardwareId });
    this.active++;
    return new Promise<Registration>((resolve) => {
      const sentAt = performance.now();
      let settled = false;
      const finish = (status: number, deviceId: string | undefined, error: string | undefined) => {
        if (settled) return;
        settled = true;
        this.active--;
        resolve({ status, deviceId, error, sentAt, repliedAt: performance.now() });
      };
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: this.url.pathname,
          method: "POST",
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            authorization: `Bearer ${this.token}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (err) => finish(0, undefined, err.message));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status !== 200) return finish(status, undefined, undefined);
            try {
              const deviceId = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { device_id?: unknown }).device_id;
              finish(status, typeof deviceId === "string" ? deviceId : undefined, typeof deviceId === "string" ? undefined : "no device_id in reply");
            } catch (err) {
              finish(status, undefined, `unparsable reply: ${(err as Error).message}`);
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no reply within ${this.timeoutMs} ms`)));
      // Whether the connection was a reused keep-alive one tells a server closing idle connections from other failures.
      req.on("error", (err) => finish(0, undefined, `${err.message} (${req.reusedSocket ? "reused keep-alive connection" : "new connection"})`));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface OpenLoopResult {
  /** Requests on the timetable. */
  readonly scheduled: number;
  /** Requests sent (scheduled minus skipped). */
  readonly sent: number;
  /** Requests not sent because `maxInFlight` replies were outstanding at their slot. */
  readonly skipped: number;
  /** From the first slot to the moment the last request was sent. */
  readonly sendingMs: number;
  /** Largest delay between a slot and the moment its request was actually sent. */
  readonly maxSendLagMs: number;
}

/**
 * Sends on a fixed timetable (slot i at start + i/rate), never waiting for replies: a request
 * whose slot has come is sent even if earlier ones are unanswered, unless `maxInFlight` are
 * outstanding, in which case it is skipped and counted. Slots that a busy event loop let pass
 * are caught up at once. Resolves once every slot is sent or skipped (not when replies arrive).
 */
export async function openLoop(options: {
  readonly rate: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  readonly inFlight: () => number;
  /** Sends request `index` whose slot was `scheduledAt` (performance.now() time). */
  readonly send: (index: number, scheduledAt: number) => void;
  readonly aborted?: () => boolean;
}): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const interval = 1000 / options.rate;
  const start = performance.now();
  let index = 0;
  let skipped = 0;
  let maxSendLagMs = 0;
  let lastSentAt = start;
  while (index < total && !options.aborted?.()) {
    const now = performance.now();
    while (index < total) {
      const slot = start + index * interval;
      if (slot > now) break;
      if (options.inFlight() >= options.maxInFlight) {
        skipped++;
      } else {
        maxSendLagMs = Math.max(maxSendLagMs, now - slot);
        options.send(index, slot);
        lastSentAt = now;
      }
      index++;
    }
    if (index >= total) break;
    // Slots closer than a timer tick are sent on the next tick, late by under a millisecond (counted
    // from their slot): spinning on setImmediate instead would take a core from the server under test.
    await sleep(Math.max(1, Math.floor(start + index * interval - performance.now())));
  }
  return { scheduled: index, sent: index - skipped, skipped, sendingMs: lastSentAt - start, maxSendLagMs };
}

/** Runs `total` calls of `work`, `concurrency` at a time (each worker starts the next one when its call ends). */
export async function closedLoop(
  total: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
  aborted: () => boolean = () => false,
): Promise<{ readonly elapsedMs: number }> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total && !aborted()) await work(next++);
    }),
  );
  return { elapsedMs: performance.now() - start };
}
