/**
 * `npm run bench:events [-- --rate 1000,3000 --duration 20 --prefill 20000 --backlog 200000 | --smoke]`
 *
 * A benchmark of the event path (registration -> outbox -> relay -> Kafka -> consumer). It prints
 * figures and never fails on one; it exits non-zero only when it cannot run (e.g. Kafka does not
 * start). Everything runs on this machine and talks to 127.0.0.1 only:
 *
 *   PostgreSQL  DATABASE_URL (an admin URL; the bench creates and drops its own databases),
 *               else an embedded PostgreSQL in a temp dir
 *   Kafka       KAFKA_BROKERS, else a single-node Apache Kafka started from test/kafka (startKafka)
 *   service     `node dist/src/main.js` as its own process, with LOG_LEVEL=warn and test keys
 *
 * Phase A: commit-to-consumer latency at a fixed open-loop rate of REST registrations, at each
 *          rate of --rate.
 * Phase B: the highest registration rate (closed loop, relay off); those outbox rows, copied in SQL
 *          with fresh event ids and subjects up to --backlog (registering that many over REST would
 *          take minutes); the relay's rate draining that backlog; and, as its floor, a plain
 *          kafkajs producer sending the same records to a second topic (plain-producer.ts).
 *
 * Runs from dist/ (built by the npm script). The Kafka helper is imported from its TypeScript
 * source (Node strips its erasable types), because it finds its pom.xml and jars next to itself.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type pg from "pg";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.js";
import { createTestKeys } from "../support/test-keys.js";
import { Cleanup, createDatabase, elapsedMs, progress, serviceMainJs, serviceNodeOptions, startStack, tempDir, type Stack } from "./bench-stack.js";
import { cpuSnapshot, cpuUsage, type CpuGroup, type CpuUsage } from "./cpu.js";
import { closedLoop, openLoop, RegistrationClient, type OpenLoopResult, type Registration } from "./http-load.js";
import { formatDistribution, formatMs, Samples } from "./percentiles.js";
import { produceAll } from "./plain-producer.js";
import { createTopic, deleteTopics, startTimedConsumer } from "./timed-consumer.js";
import { OutboxRepository } from "../../src/db/outbox-repository.js";
import { toCloudEventRecord } from "../../src/events/cloud-event-record.js";

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  readonly smoke: boolean;
  /** Registrations per second in phase A: one run at each. */
  readonly rates: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  /** Added to the first rate's warm-up: a broker just started has yet to compile its hot paths. */
  readonly brokerWarmupS: number;
  /** Phase A: most requests awaiting a reply; a slot finding this many is skipped. */
  readonly maxInFlight: number;
  /** Events registered (relay off) for phase B. */
  readonly prefill: number;
  /** Phase B's backlog: the registered events copied up to this many. */
  readonly backlog: number;
  /** Phase B: concurrent requests of the closed loop. */
  readonly concurrency: number;
  /** Partitions of the bench topics (the service's default is 12). */
  readonly partitions: number;
  /** Write a V8 CPU profile of each service process here. */
  readonly cpuProfDir: string | undefined;
  /** Which phases run. */
  readonly phases: ReadonlySet<"a" | "b">;
  /** Also write phase A's headline figures to this JSON file (for `npm run bench`). */
  readonly jsonPath: string | undefined;
}

/** Phase A waits this long after the load for every committed event to reach the consumer. */
const GRACE_MS = 30_000;

const USAGE = `usage: npm run bench:events -- [options]

  --rate <n,...>       registrations/s in phase A, one run at each (default 1000,3000; smoke 200,600)
  --duration <s>       length of phase A in seconds (default 20; smoke 3)
  --warmup <s>         phase A warm-up before measuring (default 3; smoke 1)
  --broker-warmup <s>  added to the first rate's warm-up, for the broker's JIT (default 30; smoke 0)
  --max-in-flight <n>  phase A cap on unanswered requests; slots over it are skipped (default 256)
  --prefill <n>        events registered with the relay off in phase B (default 20000; smoke 1000)
  --backlog <n>        phase B backlog: those events copied in SQL up to n (default 200000; smoke 5000)
  --concurrency <n>    phase B closed-loop concurrency (default 64)
  --partitions <n>     partitions of the bench topics (default 12, as the service)
  --cpu-prof <dir>     write a CPU profile of each service process into <dir>
  --phases <list>      phases to run: a, b or a,b (default a,b)
  --json <file>        also write phase A's figures to <file> as JSON
  --smoke              tiny numbers, finishes in well under a minute (CI)

  DATABASE_URL   admin URL of an existing PostgreSQL (default: embedded, temporary)
  KAFKA_BROKERS  existing Kafka bootstrap servers (default: a local broker, temporary)
`;

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      rate: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      "broker-warmup": { type: "string" },
      "max-in-flight": { type: "string" },
      prefill: { type: "string" },
      backlog: { type: "string" },
      concurrency: { type: "string" },
      partitions: { type: "string" },
      "cpu-prof": { type: "string" },
      phases: { type: "string" },
      json: { type: "string" },
      smoke: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke === true;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    const value = num(name, raw, fallback, min, max);
    if (!Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
    return value;
  };
  return {
    smoke,
    rates: (values.rate ?? (smoke ? "200,600" : "1000,3000")).split(",").map((r) => num("rate", r.trim(), 0, 1, 100_000)),
    durationS: num("duration", values.duration, smoke ? 3 : 20, 0.1, 3600),
    warmupS: num("warmup", values.warmup, smoke ? 1 : 3, 0, 600),
    brokerWarmupS: num("broker-warmup", values["broker-warmup"], smoke ? 0 : 30, 0, 600),
    maxInFlight: int("max-in-flight", values["max-in-flight"], 256, 1, 10_000),
    prefill: int("prefill", values.prefill, smoke ? 1000 : 20_000, 1, 10_000_000),
    backlog: int("backlog", values.backlog, smoke ? 5000 : 200_000, 1, 10_000_000),
    concurrency: int("concurrency", values.concurrency, 64, 1, 10_000),
    partitions: int("partitions", values.partitions, 12, 1, 10_000),
    cpuProfDir: values["cpu-prof"] === undefined ? undefined : path.resolve(values["cpu-prof"]),
    phases: phaseList(values.phases ?? "a,b"),
    jsonPath: values.json === undefined ? undefined : path.resolve(values.json),
  };
}

function phaseList(raw: string): ReadonlySet<"a" | "b"> {
  const phases = new Set<"a" | "b">();
  for (const name of raw.split(",").map((p) => p.trim().toLowerCase())) {
    if (name !== "a" && name !== "b") throw new UsageError(`--phases takes a, b or a,b, got "${raw}"`);
    phases.add(name);
  }
  return phases;
}

class UsageError extends Error {
  override name = "UsageError";
}

// ---------------------------------------------------------------------------------------------
// Limits

let abortReason: string | undefined;
const aborted = () => abortReason !== undefined;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Environment: PostgreSQL, Kafka, keys

interface Bench extends Stack {
  readonly options: Options;
  readonly cleanup: Cleanup;
  readonly runId: string;
  readonly mainJs: string;
  readonly workDir: string;
  readonly jwksPath: string;
  readonly token: string;
  readonly topics: string[];
}

async function setUp(options: Options, cleanup: Cleanup): Promise<Bench> {
  const mainJs = serviceMainJs();
  const runId = randomBytes(4).toString("hex");
  const workDir = tempDir("events-bench-", cleanup);
  const keys = await createTestKeys("bench-key");
  cleanup.add("JWKS file", () => rmSync(path.dirname(keys.jwksPath), { recursive: true, force: true }));
  const token = await keys.token({ tenant_id: randomUUID(), role: "tenant_admin", sub: "events-bench" }, {});
  const stack = await startStack(workDir, cleanup);
  const topics: string[] = [];
  if (stack.broker === undefined) {
    cleanup.add("bench topics", () => (topics.length > 0 ? deleteTopics(stack.brokers, topics) : undefined));
  }
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  return { ...stack, options, cleanup, runId, mainJs, workDir, jwksPath: keys.jwksPath, token, topics };
}

/** A new empty database (the service migrates it) and a small pool for the bench's own queries. */
function createBenchDatabase(bench: Bench, suffix: string): Promise<{ readonly url: string; readonly pool: pg.Pool }> {
  return createDatabase(bench, `bench_${bench.runId}_${suffix}`, bench.cleanup);
}

async function createBenchTopic(bench: Bench, suffix: string): Promise<string> {
  const topic = `events-bench-${bench.runId}-${suffix}`;
  bench.topics.push(topic);
  await createTopic(bench.brokers, topic, bench.options.partitions);
  return topic;
}

async function startService(bench: Bench, label: string, databaseUrl: string, topic: string, relay: boolean): Promise<ServiceProcess> {
  const profile = bench.options.cpuProfDir
    ? ["--cpu-prof", `--cpu-prof-dir=${bench.options.cpuProfDir}`, `--cpu-prof-name=service-${label}-${bench.runId}.cpuprofile`]
    : [];
  const service = await startServiceProcess(
    {
      DATABASE_URL: databaseUrl,
      KAFKA_TOPIC: topic,
      KAFKA_TOPIC_PARTITIONS: String(bench.options.partitions),
      AUTH_JWKS: bench.jwksPath,
      DATA_DIR: path.join(bench.workDir, `service-${label}`),
      LOG_LEVEL: "warn",
      ...(relay ? { KAFKA_BROKERS: bench.brokers.join(",") } : {}),
    },
    { mainJs: bench.mainJs, nodeArgs: [...serviceNodeOptions(), ...profile] },
  );
  bench.cleanup.add(`service ${label}`, () => service.kill());
  return service;
}

/** Whether any row waits: unlike a count of a large backlog, cheap enough to ask every 50 ms while measuring. */
async function anyUnpublished(pool: pg.Pool): Promise<boolean> {
  const result = await pool.query("SELECT EXISTS (SELECT FROM outbox WHERE published_at IS NULL) AS any");
  return result.rows[0].any === true;
}

async function unpublishedCount(pool: pg.Pool): Promise<number> {
  const result = await pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
  return Number(result.rows[0].n);
}

function cpuGroups(bench: Bench, servicePid: number): CpuGroup[] {
  return [
    { name: "bench (load generator + consumer)", match: (pid) => pid === process.pid },
    { name: "service (node dist/src/main.js)", match: (pid) => pid === servicePid },
    { name: "PostgreSQL", match: (_pid, comm) => comm === "postgres" },
    { name: "Kafka broker (JVM)", match: (pid, comm) => pid === bench.broker?.pid || comm === "java" },
  ];
}

/** Counts failures by kind: "HTTP 503", "socket hang up", ... */
function countErrors(results: readonly Registration[]): Map<string, number> {
  const errors = new Map<string, number>();
  for (const r of results) {
    if (r.status === 200 && r.deviceId !== undefined) continue;
    const kind = r.status === 0 ? (r.error ?? "transport error") : r.status === 200 ? (r.error ?? "bad reply") : `HTTP ${r.status}`;
    errors.set(kind, (errors.get(kind) ?? 0) + 1);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Phase A: commit -> consumer latency at a fixed rate

interface PhaseA {
  /** Offered registrations per second. */
  readonly rate: number;
  readonly loop: OpenLoopResult;
  readonly committed: number;
  readonly errors: Map<string, number>;
  /** Seconds into the load when the first failed request was sent. */
  readonly firstErrorAtS: number | undefined;
  readonly achievedRate: number;
  /** Request sent -> reply complete. */
  readonly http: Samples;
  /** Timetable slot -> reply complete (includes any delay in sending: no coordinated omission). */
  readonly httpFromSlot: Samples;
  /** Reply complete -> record received by the consumer. */
  readonly endToEnd: Samples;
  /** Its two parts: reply -> the relay's send (the record's Kafka timestamp), and send -> received. */
  readonly toSend: Samples;
  readonly sendToConsumer: Samples;
  readonly missing: number;
  readonly duplicates: number;
  readonly unpublishedAfter: number;
  /** occurred_at -> published_at of the measured rows, from the service's and PostgreSQL's clocks. */
  readonly outboxDelay: Samples;
  readonly relayBatches: number;
  readonly warmupDelivered: string;
  readonly cpu: CpuUsage | undefined;
  readonly benchLoopDelay: { readonly p99: number; readonly max: number };
  readonly serviceWarnings: number;
}

async function phaseA(bench: Bench, offered: number, index: number): Promise<PhaseA> {
  const o = bench.options;
  const warmupS = o.warmupS + (index === 0 ? o.brokerWarmupS : 0);
  progress(`phase A: ${offered}/s for ${o.durationS} s (warm-up ${warmupS} s)`);
  const db = await createBenchDatabase(bench, `a${index}_${offered}`);
  const topic = await createBenchTopic(bench, `a${index}-${offered}`);
  const consumer = await startTimedConsumer(bench.brokers, topic);
  const stopConsumer = bench.cleanup.add("phase A consumer", () => consumer.stop());
  const service = await startService(bench, `phase-a${index}-${offered}`, db.url, topic, true);
  const client = new RegistrationClient(service.baseUrl, bench.token, o.maxInFlight);
  bench.cleanup.add("phase A client", () => client.close());

  const run = async (durationMs: number, prefix: string) => {
    const results: { reg: Registration; slot: number }[] = [];
    const replies: Promise<void>[] = [];
    const loop = await openLoop({
      rate: offered,
      durationMs,
      maxInFlight: o.maxInFlight,
      inFlight: () => client.inFlight,
      aborted,
      send: (index, slot) => {
        replies.push(client.register(`${prefix}-${index}`).then((reg) => void results.push({ reg, slot })));
      },
    });
    await Promise.all(replies);
    return { loop, results };
  };

  // Warm-up: JIT (the service's, and for the first rate the broker's: its compiler threads take a
  // third of a core for the first half minute of load), pool connections, the relay's producer
  // (connected at its first event), the consumer's fetch loop.
  let warmupDelivered = "skipped";
  if (warmupS > 0) {
    const warm = await run(warmupS * 1000, `bench-${bench.runId}-warm`);
    const ids = warm.results.flatMap((r) => (r.reg.status === 200 && r.reg.deviceId ? [r.reg.deviceId] : []));
    if (ids.length === 0) {
      throw new Error(
        `warm-up: no registration succeeded (${[...countErrors(warm.results.map((r) => r.reg))].join(", ")}); service log:\n${service.logs.join("\n")}`,
      );
    }
    const started = performance.now();
    const missing = await consumer.waitForKeys(ids, 60_000, aborted);
    warmupDelivered = `${warmupS} s: ${ids.length - missing}/${ids.length} events received, last after ${formatMs(performance.now() - started)}`;
    if (missing > 0) progress(`phase A: warm-up: ${missing} of ${ids.length} events not received within 60 s`);
  }

  const warningsBefore = service.logs.length;
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const before = cpuSnapshot();
  const t0 = performance.now();
  const measured = await run(o.durationS * 1000, `bench-${bench.runId}-a`);
  const after = cpuSnapshot();
  eld.disable();
  progress(`phase A: load done (${measured.loop.sent} sent, ${measured.loop.skipped} skipped); waiting up to ${GRACE_MS / 1000} s for the events`);

  const regs = measured.results.map((r) => r.reg);
  const ok = measured.results.filter((r) => r.reg.status === 200 && r.reg.deviceId !== undefined);
  const ids = ok.map((r) => r.reg.deviceId!);
  const missing = await consumer.waitForKeys(ids, GRACE_MS, aborted);

  const http = new Samples();
  const httpFromSlot = new Samples();
  for (const { reg, slot } of measured.results) {
    if (reg.status !== 200) continue;
    http.add(reg.repliedAt - reg.sentAt);
    httpFromSlot.add(reg.repliedAt - slot);
  }
  const endToEnd = new Samples();
  const toSend = new Samples();
  const sendToConsumer = new Samples();
  for (const { reg } of ok) {
    const seen = consumer.firstSeen.get(reg.deviceId!);
    const sent = consumer.sentAt.get(reg.deviceId!);
    if (seen !== undefined) endToEnd.add(seen - reg.repliedAt);
    // Kafka timestamps are epoch ms from the service's clock: the same machine, ms resolution.
    if (seen !== undefined && sent !== undefined) {
      toSend.add(sent - (performance.timeOrigin + reg.repliedAt));
      sendToConsumer.add(performance.timeOrigin + seen - sent);
    }
  }
  let lastReply = t0;
  let firstError: number | undefined;
  for (const r of regs) {
    lastReply = Math.max(lastReply, r.repliedAt);
    if (r.status !== 200 || r.deviceId === undefined) firstError = Math.min(firstError ?? r.sentAt, r.sentAt);
  }
  const duplicates = consumer.received - consumer.firstSeen.size;

  // The relay marks rows after Kafka acknowledged them: give the last mark a moment.
  let unpublishedAfter = await unpublishedCount(db.pool);
  for (let i = 0; i < 50 && unpublishedAfter > 0 && !aborted(); i++) {
    await sleep(100);
    unpublishedAfter = await unpublishedCount(db.pool);
  }
  const outboxDelay = new Samples();
  const delays = await db.pool.query(
    `SELECT (extract(epoch FROM published_at - occurred_at) * 1000)::float8 AS ms
     FROM outbox WHERE published_at IS NOT NULL AND subject = ANY($1::text[])`,
    [ids],
  );
  for (const row of delays.rows) outboxDelay.add(Number(row.ms));
  // Each batch is marked by one UPDATE, so its rows share one published_at (now() of that transaction).
  const batches = await db.pool.query(
    "SELECT count(DISTINCT published_at)::int AS n FROM outbox WHERE published_at IS NOT NULL AND subject = ANY($1::text[])",
    [ids],
  );

  await client.close();
  await stopConsumer();
  await service.kill();
  return {
    rate: offered,
    loop: measured.loop,
    committed: ok.length,
    errors: countErrors(regs),
    firstErrorAtS: firstError === undefined ? undefined : (firstError - t0) / 1000,
    achievedRate: ok.length / ((lastReply - t0) / 1000),
    http,
    httpFromSlot,
    endToEnd,
    toSend,
    sendToConsumer,
    missing,
    duplicates,
    unpublishedAfter,
    outboxDelay,
    relayBatches: Number(batches.rows[0].n),
    warmupDelivered,
    cpu: cpuUsage(before, after, cpuGroups(bench, service.pid)),
    benchLoopDelay: { p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
    serviceWarnings: Math.max(0, service.logs.length - warningsBefore),
  };
}

/** Phase A's headline figures, as `--json` writes them. */
export interface PhaseAFigures {
  readonly offered: number;
  readonly rate: number;
  readonly achievedRate: number;
  readonly committed: number;
  readonly errors: number;
  readonly missing: number;
  readonly endToEnd: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
}

/** The target at 1,000 registrations/s (issue #14): p99 within 100 ms, nothing lost. */
function meetsLatencyTarget(a: PhaseA): boolean {
  return a.endToEnd.count > 0 && a.endToEnd.percentile(99) <= 100 && a.missing === 0;
}

function phaseAFigures(a: PhaseA): PhaseAFigures {
  let errors = 0;
  for (const n of a.errors.values()) errors += n;
  const e = a.endToEnd;
  return {
    offered: a.rate,
    rate: a.loop.sent / Math.max(1e-9, a.loop.sendingMs / 1000),
    achievedRate: a.achievedRate,
    committed: a.committed,
    errors,
    missing: a.missing,
    endToEnd: { p50: e.percentile(50), p90: e.percentile(90), p99: e.percentile(99), max: e.max },
  };
}

/** Phase B's headline figures, as `--json` writes them. */
export interface PhaseBFigures {
  readonly backlog: number;
  /** Events/s draining the backlog; NaN when it did not drain within the limit. */
  readonly drainRate: number;
  /** Events/s of the plain kafkajs producer on the same records. */
  readonly plainRate: number;
  readonly missing: number;
  readonly duplicates: number;
}

/** What `--json` writes: phase A at each rate, and phase B when it ran. */
export interface EventsFigures {
  readonly latency: readonly PhaseAFigures[];
  readonly drain: PhaseBFigures | undefined;
}

function phaseBFigures(b: PhaseB): PhaseBFigures {
  return {
    backlog: b.backlog,
    drainRate: b.drainMs === undefined ? Number.NaN : (b.backlog * 1000) / b.drainMs,
    plainRate: (b.backlog * 1000) / b.plainMs,
    missing: b.missing,
    duplicates: b.duplicates,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase B: highest registration rate, then the relay draining the backlog

interface PhaseB {
  readonly warmup: number;
  readonly registered: number;
  readonly stoppedEarly: boolean;
  readonly errors: Map<string, number>;
  readonly registrationRate: number;
  readonly registrationLatency: Samples;
  readonly registrationCpu: CpuUsage | undefined;
  readonly backlog: number;
  /** Rows copied in SQL to grow the registered events to the backlog. */
  readonly copied: number;
  /** Relay service spawned -> /healthz answers. */
  readonly startMs: number;
  /** Relay service answering -> outbox has no unpublished row (undefined: not within the limit). */
  readonly drainMs: number | undefined;
  readonly drainLimitMs: number;
  /** First -> last backlog record received by the consumer. */
  readonly consumerSpanMs: number;
  readonly consumerRate: number;
  readonly received: number;
  readonly missing: number;
  readonly duplicates: number;
  /** From the outbox's published_at: rows published after the first batch / time from first to last batch. */
  readonly dbRate: number;
  readonly dbBatches: number;
  readonly drainCpu: CpuUsage | undefined;
  /** The plain producer on the same records: connect -> last ack, and records not received. */
  readonly plainMs: number;
  readonly plainMissing: number;
  readonly plainCpu: CpuUsage | undefined;
}

async function phaseB(bench: Bench): Promise<PhaseB> {
  const o = bench.options;
  progress(`phase B: registering ${o.prefill} devices with the relay off (closed loop, concurrency ${o.concurrency})`);
  const db = await createBenchDatabase(bench, "b");
  const topic = await createBenchTopic(bench, "b");

  // 1. Registrations as fast as they go, with no relay (no KAFKA_BROKERS): the backlog builds up.
  const writer = await startService(bench, "phase-b-register", db.url, topic, false);
  const client = new RegistrationClient(writer.baseUrl, bench.token, o.concurrency);
  bench.cleanup.add("phase B client", () => client.close());
  const warmup = Math.min(1000, Math.max(50, Math.round(o.prefill / 20)));
  await closedLoop(warmup, o.concurrency, async (i) => void (await client.register(`bench-${bench.runId}-bw-${i}`)), aborted);

  const limitMs = Math.max(60_000, o.prefill * 10);
  const stopAt = performance.now() + limitMs;
  const results: Registration[] = [];
  const before = cpuSnapshot();
  const { elapsedMs } = await closedLoop(
    o.prefill,
    o.concurrency,
    async (i) => void results.push(await client.register(`bench-${bench.runId}-b-${i}`)),
    () => aborted() || performance.now() > stopAt,
  );
  const after = cpuSnapshot();
  const registrationCpu = cpuUsage(before, after, cpuGroups(bench, writer.pid));
  const ok = results.filter((r) => r.status === 200 && r.deviceId !== undefined);
  const registrationLatency = new Samples();
  for (const r of ok) registrationLatency.add(r.repliedAt - r.sentAt);
  await client.close();
  await writer.kill();

  const copied = await growBacklog(db.pool, o.backlog);
  // The records the relay will send, kept for the plain producer: the same rows, the same conversion.
  const records = (await new OutboxRepository(db.pool).unpublished(o.backlog + ok.length + warmup)).map(toCloudEventRecord);
  const backlogKeys = records.map((r) => r.key);
  progress(`phase B: ${ok.length} registered in ${formatMs(elapsedMs)}, ${copied} copied; draining a backlog of ${backlogKeys.length} events`);

  // 2. The relay drains it: a consumer subscribed first, then a service with KAFKA_BROKERS.
  const consumer = await startTimedConsumer(bench.brokers, topic);
  const stopConsumer = bench.cleanup.add("phase B consumer", () => consumer.stop());
  const spawned = performance.now();
  const relay = await startService(bench, "phase-b-relay", db.url, topic, true);
  const ready = performance.now();
  const drainBefore = cpuSnapshot();
  const drainLimitMs = Math.max(60_000, backlogKeys.length * 5);
  let drainedAt: number | undefined;
  while (performance.now() - ready < drainLimitMs && !aborted()) {
    if (!(await anyUnpublished(db.pool))) {
      drainedAt = performance.now();
      break;
    }
    await sleep(50);
  }
  const drainAfter = cpuSnapshot();
  const missing = await consumer.waitForKeys(backlogKeys, drainedAt === undefined ? 5_000 : 30_000, aborted);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let received = 0;
  for (const key of backlogKeys) {
    const seen = consumer.firstSeen.get(key);
    if (seen === undefined) continue;
    received++;
    first = Math.min(first, seen);
    last = Math.max(last, seen);
  }
  const consumerSpanMs = received > 1 ? last - first : Number.NaN;
  const stats = await db.pool.query(
    `SELECT count(*) FILTER (WHERE published_at > (SELECT min(published_at) FROM outbox))::int AS after_first,
            count(DISTINCT published_at)::int AS batches,
            extract(epoch FROM max(published_at) - min(published_at))::float8 AS span_s
     FROM outbox WHERE published_at IS NOT NULL`,
  );
  const row = stats.rows[0] as { after_first: number; batches: number; span_s: number | null };
  const duplicates = consumer.received - consumer.firstSeen.size;
  await stopConsumer();
  await relay.kill();

  // 3. The floor: a plain producer sends the same records to a topic of its own, a consumer reading them too.
  progress(`phase B: a plain kafkajs producer sending the same ${records.length} records`);
  const plainTopic = await createBenchTopic(bench, "b-plain");
  const plainConsumer = await startTimedConsumer(bench.brokers, plainTopic);
  const stopPlainConsumer = bench.cleanup.add("phase B plain consumer", () => plainConsumer.stop());
  const plainBefore = cpuSnapshot();
  const plainMs = await produceAll(bench.brokers, plainTopic, records);
  const plainAfter = cpuSnapshot();
  const plainMissing = await plainConsumer.waitForKeys(backlogKeys, 30_000, aborted);
  await stopPlainConsumer();
  return {
    warmup,
    registered: ok.length,
    stoppedEarly: results.length < o.prefill,
    errors: countErrors(results),
    registrationRate: ok.length / (elapsedMs / 1000),
    registrationLatency,
    registrationCpu,
    backlog: backlogKeys.length,
    copied,
    startMs: ready - spawned,
    drainMs: drainedAt === undefined ? undefined : drainedAt - ready,
    drainLimitMs,
    consumerSpanMs,
    consumerRate: received > 1 ? ((received - 1) * 1000) / consumerSpanMs : Number.NaN,
    received,
    missing,
    duplicates,
    dbRate: row.span_s && row.span_s > 0 ? row.after_first / row.span_s : Number.NaN,
    dbBatches: row.batches,
    drainCpu: cpuUsage(drainBefore, drainAfter, cpuGroups(bench, relay.pid)),
    plainMs,
    plainMissing,
    plainCpu: cpuUsage(plainBefore, plainAfter, cpuGroups(bench, relay.pid)),
  };
}

/**
 * Copies the outbox's unpublished rows, with fresh event ids and subjects (the device id in the
 * payload replaced too), until `size` wait: a backlog of real rows without registering each one.
 * Returns how many rows were added.
 */
async function growBacklog(pool: pg.Pool, size: number): Promise<number> {
  const result = await pool.query(
    `WITH source AS (SELECT * FROM outbox WHERE published_at IS NULL),
          copies AS (
            SELECT s.*, gen_random_uuid()::text AS new_subject
            FROM generate_series(1, ceil($1::float8 / greatest(1, (SELECT count(*) FROM source)))::int) AS round, source s
            ORDER BY round, s.id
            LIMIT greatest(0, $1::int - (SELECT count(*) FROM source)))
     INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
     SELECT gen_random_uuid(), event_type, tenant_id, new_subject, replace(payload::text, subject, new_subject)::json, occurred_at FROM copies`,
    [size],
  );
  return result.rowCount ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Report

class Table {
  private readonly lines: string[] = [];

  section(title: string): void {
    if (this.lines.length > 0) this.lines.push("");
    this.lines.push(title, "-".repeat(Math.min(100, title.length)));
  }

  row(label: string, value: string, note = ""): void {
    this.lines.push(`  ${label.padEnd(46)} ${value.padEnd(44)} ${note}`.trimEnd());
  }

  text(line: string): void {
    this.lines.push(line);
  }

  toString(): string {
    return this.lines.join("\n") + "\n";
  }
}

const rate = (perSecond: number) => (Number.isFinite(perSecond) ? `${perSecond.toFixed(0)} /s` : "n/a");
const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(2)} %` : "n/a");

function errorText(errors: Map<string, number>): string {
  let total = 0;
  for (const n of errors.values()) total += n;
  if (total === 0) return "0";
  return `${total} (${[...errors].map(([kind, n]) => `${kind}: ${n}`).join(", ")})`;
}

function cpuRows(table: Table, label: string, usage: CpuUsage | undefined): void {
  if (!usage) return table.row(label, "n/a (no /proc)");
  const parts = usage.groups.filter((g) => g.cores >= 0.005).map((g) => `${g.name} ${g.cores.toFixed(2)}`);
  table.row(label, `machine ${usage.machineBusyPct.toFixed(0)} % busy over ${formatMs(usage.wallMs)}`, `cores used: ${parts.join(", ")}`);
}

function report(bench: Bench, as: readonly PhaseA[], b: PhaseB | undefined, totalMs: number): string {
  const o = bench.options;
  const t = new Table();
  const cpus = os.cpus();
  t.section(`device-registry events bench${o.smoke ? " (--smoke: tiny numbers, figures are not meaningful)" : ""}`);
  t.row("machine", `${cpus.length} CPU(s) ${cpus[0]?.model.trim() ?? ""}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`, `${os.type()} ${os.release()}`);
  t.row("Node.js", process.version);
  t.row("Kafka", bench.kafkaVersion);
  t.row("PostgreSQL", bench.postgresVersion);
  t.row(
    "options",
    `rate ${o.rates.join(", ")} /s, duration ${o.durationS} s, warm-up ${o.warmupS} s (first rate +${o.brokerWarmupS} s), max in flight ${o.maxInFlight}`,
  );
  t.row("", `prefill ${o.prefill}, backlog ${o.backlog}, concurrency ${o.concurrency}, ${o.partitions} partitions`);
  t.text(
    `  NOTE: the load generator + consumer, the service, PostgreSQL and Kafka all share these ${cpus.length} CPU(s);\n` +
      "        the figures are for this machine as a whole, not for the service alone.",
  );

  for (const a of as) {
    t.section(`Phase A - commit -> consumer latency, open loop ${a.rate}/s for ${o.durationS} s (REST POST /api/v1/devices, HTTP/1.1 keep-alive)`);
    t.row("offered rate", `${rate(a.rate)} (${a.loop.scheduled} on the timetable)`);
    t.row(
      "sent / skipped (in-flight cap reached)",
      `${a.loop.sent} / ${a.loop.skipped}`,
      `cap ${o.maxInFlight}; max send lag ${formatMs(a.loop.maxSendLagMs)}`,
    );
    t.row("achieved rate (200 replies / s)", rate(a.achievedRate), `${a.committed} registered`);
    t.row(
      "errors",
      errorText(a.errors),
      `${pct(a.loop.sent - a.committed, a.loop.sent)}${a.firstErrorAtS === undefined ? "" : `, first one sent ${a.firstErrorAtS.toFixed(1)} s into the load`}`,
    );
    t.row("HTTP latency (sent -> reply)", formatDistribution(a.http));
    t.row("HTTP latency (timetable slot -> reply)", formatDistribution(a.httpFromSlot), "includes send delays (no coordinated omission)");
    t.row(
      "commit -> consumer (reply -> record received)",
      formatDistribution(a.endToEnd),
      a.rate === 1000 ? `target p99 <= 100 ms with 0 missing: ${meetsLatencyTarget(a) ? "met" : "NOT met"}` : "",
    );
    t.row("  ... reply -> relay sends it (Kafka timestamp)", formatDistribution(a.toSend), "ms resolution");
    t.row("  ... relay sends it -> record received", formatDistribution(a.sendToConsumer), "Kafka ack, consumer fetch");
    t.row(
      "  ... min; over 200 ms",
      `${formatMs(a.endToEnd.min)}; ${a.endToEnd.countAbove(200)} (${pct(a.endToEnd.countAbove(200), a.endToEnd.count)})`,
      "negative: the record came before the HTTP reply",
    );
    t.row(`events not received within ${GRACE_MS / 1000} s`, String(a.missing), a.missing === 0 ? "(must be 0: ok)" : "(must be 0: LOST OR LATE EVENTS)");
    t.row("records received more than once", String(a.duplicates), "at-least-once redeliveries");
    t.row("outbox rows left unpublished afterwards", String(a.unpublishedAfter));
    t.row("outbox occurred_at -> published_at", formatDistribution(a.outboxDelay), "service + PostgreSQL clocks: commit -> Kafka ack -> mark");
    t.row(
      "relay batches for the measured events",
      `${a.relayBatches}`,
      a.relayBatches > 0 ? `avg ${(a.outboxDelay.count / a.relayBatches).toFixed(1)} events per batch` : "",
    );
    t.row("warm-up", a.warmupDelivered);
    t.row(
      "bench event-loop delay (p99 / max)",
      `${formatMs(a.benchLoopDelay.p99)} / ${formatMs(a.benchLoopDelay.max)}`,
      "how late the load generator itself ran",
    );
    cpuRows(t, "CPU during the load", a.cpu);
    if (a.serviceWarnings > 0) t.row("service warnings/errors logged", String(a.serviceWarnings));
  }

  if (b) {
    t.section(`Phase B - relay maximum publish rate (backlog of ${b.backlog} events, relay started after the registrations)`);
    t.row(
      "max registration rate (closed loop, relay off)",
      rate(b.registrationRate),
      `${b.registered} registered, concurrency ${o.concurrency}, after ${b.warmup} warm-up`,
    );
    if (b.stoppedEarly) t.row("  (stopped early)", "time limit reached before --prefill");
    t.row("  errors", errorText(b.errors));
    t.row("  HTTP latency (sent -> reply)", formatDistribution(b.registrationLatency));
    cpuRows(t, "  CPU during the registrations", b.registrationCpu);
    t.row("relay max publish rate (consumer, first -> last)", rate(b.consumerRate), `${b.received} records in ${formatMs(b.consumerSpanMs)}`);
    t.row(
      "relay publish rate (outbox published_at span)",
      rate(b.dbRate),
      `${b.dbBatches} batches, avg ${(b.backlog / Math.max(1, b.dbBatches)).toFixed(0)} rows each`,
    );
    t.row(
      "relay service start -> outbox empty",
      b.drainMs === undefined ? `NOT drained within ${formatMs(b.drainLimitMs)}` : formatMs(b.drainMs),
      `plus ${formatMs(b.startMs)} from spawn to /healthz`,
    );
    t.row("backlog records not received", String(b.missing), b.missing === 0 ? "" : "(events lost or late)");
    t.row("records received more than once", String(b.duplicates));
    const ratio = b.consumerRate / b.registrationRate;
    t.row(
      "relay rate / max registration rate",
      Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a",
      Number.isFinite(ratio) ? `target >= 1 (the relay keeps up): ${ratio >= 1 ? "met" : "NOT met"}` : "",
    );
    cpuRows(t, "  CPU while draining", b.drainCpu);
    const { drainRate, plainRate } = phaseBFigures(b);
    t.row("relay drain rate (backlog / start -> outbox empty)", rate(drainRate), `${b.copied} of the ${b.backlog} rows copied in SQL from the registered ones`);
    t.row(
      "plain kafkajs producer, same records",
      rate(plainRate),
      `connect -> last ack ${formatMs(b.plainMs)}; ${b.plainMissing} not received (idempotent, acks=-1, own topic)`,
    );
    const share = drainRate / plainRate;
    t.row(
      "relay drain / plain producer",
      Number.isFinite(share) ? share.toFixed(2) : "n/a",
      Number.isFinite(share) ? `target >= 0.5: ${share >= 0.5 ? "met" : "NOT met"}` : "",
    );
    cpuRows(t, "  CPU while the plain producer sends", b.plainCpu);
  }
  t.section("run");
  t.row("total wall time", formatMs(totalMs));
  return t.toString();
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const cleanup = new Cleanup();
  const budgetMs =
    300_000 + // PostgreSQL, Kafka (and its jars), three service starts
    options.rates.length * ((options.warmupS + options.durationS) * 1000 + 60_000 + GRACE_MS) +
    options.brokerWarmupS * 1000 +
    60_000 +
    Math.max(60_000, options.prefill * 10) +
    2 * Math.max(60_000, options.backlog * 5) +
    60_000;

  let interrupt: (reason: string) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = (reason) => {
      abortReason ??= reason;
      reject(new Error(reason));
    };
  });
  interrupted.catch(() => undefined);
  const limit = setTimeout(() => interrupt(`time limit of ${(budgetMs / 1000).toFixed(0)} s exceeded`), budgetMs);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupt(`interrupted by ${signal}`));

  const as: PhaseA[] = [];
  let b: PhaseB | undefined;
  let bench: Bench | undefined;
  try {
    const work = async () => {
      bench = await setUp(options, cleanup);
      if (options.phases.has("a")) for (const [index, offered] of options.rates.entries()) as.push(await phaseA(bench, offered, index));
      if (options.phases.has("b")) b = await phaseB(bench);
      const figures: EventsFigures = { latency: as.map(phaseAFigures), drain: b && phaseBFigures(b) };
      if (options.jsonPath !== undefined) writeFileSync(options.jsonPath, JSON.stringify(figures));
    };
    await Promise.race([work(), interrupted]);
    progress("done; cleaning up");
    return 0;
  } catch (err) {
    progress(`FAILED: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    abortReason ??= "finished";
    clearTimeout(limit);
    if (bench) process.stdout.write(`\n${report(bench, as, b, elapsedMs())}`);
    await cleanup.all();
  }
}

process.exit(await main());
