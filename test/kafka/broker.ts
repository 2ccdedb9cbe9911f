/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller)
 * for tests and local use, started from the org.apache.kafka jars on Maven
 * Central (resolved by test/kafka/pom.xml into test/kafka/target/kafka-<version>/).
 *
 *   const kafka = await startKafka();          // free port, temp data dir
 *   new Kafka({ brokers: kafka.brokers });
 *   await kafka.stop();                        // SIGTERM, SIGKILL after a timeout
 *   await kafka.start();                       // same port, same data
 *   await kafka.destroy();                     // stop + delete a temp data dir
 *
 * Needs `java` (17+) on PATH or JAVA_HOME, and `mvn` the first time (jars are
 * then reused). Uses only erasable TypeScript so Node can run it directly
 * (see run.mjs / `npm run kafka`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;

/** Folder of this file (test/kafka). */
const KAFKA_DIR = dirname(fileURLToPath(import.meta.url));
const KAFKA_POM = join(KAFKA_DIR, "pom.xml");

const HOST = "127.0.0.1";
const NODE_ID = 1;

export interface StartKafkaOptions {
  /** Where config, metadata, topic data and logs live. Default: a new temp dir, deleted at process exit. */
  dataDir?: string;
  /** PLAINTEXT client port. Default: the port stored in dataDir from an earlier run if free, else a free port. */
  port?: number;
  /** CONTROLLER (KRaft quorum) port. Default: stored one if free, else a free port. */
  controllerPort?: number;
  /** Progress messages (fetching jars, formatting, started, stopped). */
  log?: (line: string) => void;
  /** How long to wait for the broker to answer describeCluster. Default 60 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 20 s. */
  stopTimeoutMs?: number;
  /** JVM options. Default: -Xms128m -Xmx512m plus G1 settings. */
  jvmArgs?: string[];
  /** Extra / overriding server.properties entries. */
  properties?: Record<string, string | number | boolean>;
}

export interface KafkaBroker {
  /** Bootstrap servers, e.g. ['127.0.0.1:40123']. Stable across stop()/start(). */
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** log4j output of the broker. */
  readonly logFile: string;
  readonly clusterId: string;
  readonly kafkaVersion: string;
  /** True while the JVM is running. */
  readonly running: boolean;
  /** PID of the running JVM, if any. */
  readonly pid: number | undefined;
  /** Graceful stop: SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the JVM has exited. No-op if stopped. */
  stop(): Promise<void>;
  /** Crash-stop: SIGKILL right away (no controlled shutdown); resolves once the JVM has exited. */
  kill(): Promise<void>;
  /** Start again on the same ports and data dir; resolves when the broker accepts clients. No-op if running. */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** stop(), and delete the data dir if startKafka created it (temp dir). */
  destroy(): Promise<void>;
  /** Last lines of the broker log (and JVM stdout/stderr). */
  logTail(lines?: number): string;
}

interface BrokerState {
  port: number;
  controllerPort: number;
  clusterId: string;
  kafkaVersion: string;
}

// ---------------------------------------------------------------------------
// Classpath (Maven)

/** Kafka version: KAFKA_VERSION env, else <kafka.version> in pom.xml. */
function kafkaVersion(): string {
  const fromEnv = process.env["KAFKA_VERSION"];
  if (fromEnv) return fromEnv;
  const pom = readFileSync(KAFKA_POM, "utf8");
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${KAFKA_POM}`);
  return match[1];
}

/** Folder the jars are copied to by `mvn dependency:copy-dependencies`. */
function kafkaLibsDir(version = kafkaVersion()): string {
  return join(KAFKA_DIR, "target", `kafka-${version}`);
}

function classpathComplete(libs: string, version: string): boolean {
  if (!existsSync(libs)) return false;
  const jars = readdirSync(libs);
  const need = [
    `kafka_2.13-${version}.jar`,
    `kafka-server-${version}.jar`,
    `kafka-clients-${version}.jar`,
    `kafka-metadata-${version}.jar`,
    `kafka-raft-${version}.jar`,
  ];
  return (
    need.every((jar) => jars.includes(jar)) &&
    jars.some((jar) => jar.startsWith("scala-library-")) &&
    jars.some((jar) => jar.startsWith("log4j-core-")) &&
    jars.some((jar) => jar.startsWith("log4j-slf4j-impl-"))
  );
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Makes sure the broker jars are in test/kafka/target/kafka-<version>/, running
 * Maven if they are not. Safe to call from several processes at once (a lock
 * dir serialises the mvn runs). Returns the jar folder.
 */
async function ensureKafkaClasspath(log: (line: string) => void = () => {}): Promise<string> {
  const version = kafkaVersion();
  const libs = kafkaLibsDir(version);
  if (classpathComplete(libs, version)) return libs;

  const target = join(KAFKA_DIR, "target");
  mkdirSync(target, { recursive: true });
  const lock = join(target, `.fetch-${version}.lock`);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (classpathComplete(libs, version)) return libs;
      // a lock older than 15 minutes is left over from a killed run
      if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (another Kafka jar fetch)`);
      await sleep(500);
    }
  }
  try {
    if (classpathComplete(libs, version)) return libs;
    rmSync(libs, { recursive: true, force: true }); // no half-copied or mixed-version leftovers
    const mvn = process.env["MVN"] ?? "mvn";
    const args = ["-q", "-B", "-Dstyle.color=never", "-f", KAFKA_POM, `-Dkafka.version=${version}`, "dependency:copy-dependencies"];
    log(`fetching Apache Kafka ${version} jars: ${mvn} ${args.join(" ")}`);
    const started = Date.now();
    let result: { code: number | null; output: string };
    try {
      result = await run(mvn, args, KAFKA_DIR);
    } catch (error) {
      throw new Error(`could not run Maven (${mvn}); install Maven 3.6+ or set MVN: ${String(error)}`);
    }
    if (result.code !== 0 || !classpathComplete(libs, version)) {
      throw new Error(`Maven could not fetch Apache Kafka ${version} (exit ${result.code}):\n${result.output.trim()}`);
    }
    log(`fetched ${readdirSync(libs).length} jars into ${libs} in ${Date.now() - started} ms`);
    return libs;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Helpers

function javaBin(): string {
  const home = process.env["JAVA_HOME"];
  if (home && existsSync(join(home, "bin", "java"))) return join(home, "bin", "java");
  return "java";
}

/** A port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePromise(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolvePromise(false));
    server.listen(port, HOST, () => server.close(() => resolvePromise(true)));
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: HOST, port });
    socket.setTimeout(1000);
    const done = (open: boolean) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/**
 * Kafka cluster ids are 16 random bytes, base64url without padding. Like Kafka's own
 * Uuid.randomUuid, draw again when the id starts with '-': `kafka-storage format --cluster-id`
 * would read it as an option.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function tailOf(file: string, lines: number): string {
  try {
    const text = readFileSync(file, "utf8");
    return text
      .split("\n")
      .slice(-lines - 1)
      .join("\n")
      .trimEnd();
  } catch {
    return "";
  }
}

function serverProperties(state: BrokerState, logDir: string, extra: StartKafkaOptions["properties"]): string {
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": NODE_ID,
    // Static single-voter quorum: the controller endpoint comes from this config
    // (not from the formatted metadata), so the data dir survives port changes.
    "controller.quorum.voters": `${NODE_ID}@${HOST}:${state.controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${state.port},CONTROLLER://${HOST}:${state.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${HOST}:${state.port}`,
    "inter.broker.listener.name": "PLAINTEXT",
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": logDir,
    // single node: every replication factor / ISR is 1
    "num.partitions": 1,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    "share.coordinator.state.topic.num.partitions": 1,
    "auto.create.topics.enable": false,
    "group.initial.rebalance.delay.ms": 0,
    // After a crash (kill()), the new broker incarnation can only register once the
    // old one's session expired: 4 s instead of the default 9 s.
    "broker.session.timeout.ms": 4000,
    "broker.heartbeat.interval.ms": 1000,
    // small, test-sized storage and threads (2-core machines)
    "log.segment.bytes": 16 * 1024 * 1024,
    "log.retention.hours": 24,
    "log.retention.check.interval.ms": 60_000,
    "log.cleaner.threads": 1,
    "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
    "num.network.threads": 2,
    "num.io.threads": 4,
    "background.threads": 4,
    "num.recovery.threads.per.data.dir": 1,
    ...extra,
  };
  return (
    Object.entries(props)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join("\n") + "\n"
  );
}

function log4jConfig(logFile: string): string {
  // XML needs nothing beyond log4j-core. Everything goes to a file; nothing to the console.
  const escaped = logFile.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn" shutdownHook="disable">
  <Appenders>
    <File name="file" fileName="${escaped}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="org.apache.kafka.clients" level="warn"/>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}

// ---------------------------------------------------------------------------
// Process bookkeeping: the JVM must not outlive this process.

const liveJvms = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of liveJvms) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // best effort
      }
    }
  });
}

/**
 * Second line of defence for when this process dies without running 'exit'
 * handlers (SIGKILL, default SIGTERM): a tiny shell holds the read end of a
 * pipe from us; when the pipe closes (we died), it SIGKILLs the JVM and, for a
 * temp data dir, deletes it once the JVM is gone.
 */
function spawnWatchdog(pid: number, tempDir: string | undefined): ChildProcess | undefined {
  const script = [
    "while read -r _; do :; done",
    'kill -9 "$1" 2>/dev/null',
    'if [ -n "$2" ]; then i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; rm -rf "$2"; fi',
  ].join("; ");
  try {
    const watchdog = spawn("sh", ["-c", script, "kafka-watchdog", String(pid), tempDir ?? ""], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    watchdog.on("error", () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolvePromise(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolvePromise(true);
    };
    child.once("exit", onExit);
  });
}

// ---------------------------------------------------------------------------
// The broker

/** Starts a single-node KRaft Kafka broker and resolves once it accepts clients. */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  const version = kafkaVersion();
  const libs = await ensureKafkaClasspath(log);

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), "kafka-test-"));
  if (ownsDataDir) tempDirs.add(dataDir);
  installExitHook();
  mkdirSync(dataDir, { recursive: true });

  const stateFile = join(dataDir, "broker.json");
  const logDir = join(dataDir, "data");
  const logFile = join(dataDir, "server.log");
  const outFile = join(dataDir, "jvm.out");
  const propsFile = join(dataDir, "server.properties");
  const log4jFile = join(dataDir, "log4j2.xml");

  const previous: Partial<BrokerState> = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as Partial<BrokerState>) : {};
  const pickPort = async (wanted: number | undefined, stored: number | undefined, label: string): Promise<number> => {
    if (wanted !== undefined) {
      if (!(await portIsFree(wanted))) throw new Error(`Kafka ${label} port ${HOST}:${wanted} is already in use`);
      return wanted;
    }
    if (stored !== undefined && (await portIsFree(stored))) return stored;
    return freePort();
  };
  const port = await pickPort(options.port, previous.port, "client");
  let controllerPort = await pickPort(options.controllerPort, previous.controllerPort, "controller");
  while (controllerPort === port) controllerPort = await freePort();

  const metaProperties = join(logDir, "meta.properties");
  const formatted = existsSync(metaProperties);
  const clusterIdFromMeta = formatted ? /^cluster\.id=(.+)$/m.exec(readFileSync(metaProperties, "utf8"))?.[1]?.trim() : undefined;
  const state: BrokerState = {
    port,
    controllerPort,
    clusterId: clusterIdFromMeta ?? previous.clusterId ?? newClusterId(),
    kafkaVersion: version,
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
  writeFileSync(propsFile, serverProperties(state, logDir, options.properties));
  writeFileSync(log4jFile, log4jConfig(logFile));

  // JVM flags shared by the storage tool and the broker; heap flags are per process.
  const commonJvmArgs = [
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${dataDir}`,
    "-cp",
    join(libs, "*"),
  ];
  const brokerJvmArgs = [
    ...(options.jvmArgs ?? ["-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35"]),
    ...commonJvmArgs,
  ];
  const java = javaBin();

  const logTail = (lines = 40): string => {
    const parts = [tailOf(logFile, lines), tailOf(outFile, 20)].filter(Boolean);
    return parts.length ? parts.join("\n--- jvm stdout/stderr ---\n") : "(no broker output)";
  };

  if (!formatted) {
    // `kafka-storage.sh format -t <id> -c server.properties` (static quorum, so no --standalone)
    const started = Date.now();
    const result = await run(
      java,
      ["-Xmx256m", "-XX:TieredStopAtLevel=1", ...commonJvmArgs, "kafka.tools.StorageTool", "format", "--config", propsFile, "--cluster-id", state.clusterId],
      dataDir,
    ).catch((error: unknown) => {
      throw new Error(`could not run ${java} (Java 17+ is needed for Kafka ${version}): ${String(error)}`);
    });
    if (result.code !== 0 || !existsSync(metaProperties)) {
      throw new Error(`kafka-storage format failed (exit ${result.code}):\n${result.output.trim()}\n${tailOf(logFile, 20)}`);
    }
    log(`formatted ${logDir} (cluster id ${state.clusterId}) in ${Date.now() - started} ms`);
  }

  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  const bootstrap = `${HOST}:${port}`;

  const waitUntilReady = async (jvm: ChildProcess, startedAt: number): Promise<void> => {
    const deadline = startedAt + startTimeoutMs;
    let lastError = "broker port not open yet";
    while (Date.now() < deadline) {
      if (jvm.exitCode !== null || jvm.signalCode !== null) {
        throw new Error(`Kafka broker exited during startup (code ${jvm.exitCode}, signal ${jvm.signalCode}); log ${logFile}:\n${logTail()}`);
      }
      if (await tcpOpen(port)) {
        const client = new Kafka({
          clientId: "kafka-broker-ready-probe",
          brokers: [bootstrap],
          logLevel: logLevel.NOTHING,
          connectionTimeout: 2000,
          requestTimeout: 5000,
          retry: { retries: 0 },
        });
        const admin = client.admin({ retry: { retries: 0 } });
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          if (cluster.brokers.some((b) => b.nodeId === NODE_ID)) return;
          lastError = `describeCluster not ready yet: ${JSON.stringify(cluster)}`;
        } catch (error) {
          lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        } finally {
          await admin.disconnect().catch(() => {});
        }
      }
      await sleep(250);
    }
    throw new Error(`Kafka broker at ${bootstrap} not ready after ${startTimeoutMs} ms (last error: ${lastError}); log ${logFile}:\n${logTail()}`);
  };

  const stopProcess = async (signal: "SIGTERM" | "SIGKILL"): Promise<void> => {
    const jvm = child;
    if (!jvm) return;
    const started = Date.now();
    if (jvm.exitCode === null && jvm.signalCode === null) {
      jvm.kill(signal);
      if (!(await waitForExit(jvm, signal === "SIGKILL" ? 10_000 : stopTimeoutMs))) {
        log(`Kafka broker did not stop within ${stopTimeoutMs} ms of SIGTERM; sending SIGKILL`);
        jvm.kill("SIGKILL");
        await waitForExit(jvm, 10_000);
      }
    }
    liveJvms.delete(jvm);
    watchdog?.kill("SIGKILL");
    watchdog = undefined;
    child = undefined;
    log(`Kafka broker ${bootstrap} stopped (${signal}, ${Date.now() - started} ms)`);
  };

  const start = async (): Promise<void> => {
    if (child) return;
    if (!(await portIsFree(port))) throw new Error(`cannot start Kafka: ${bootstrap} is in use`);
    if (!(await portIsFree(controllerPort))) throw new Error(`cannot start Kafka: controller port ${HOST}:${controllerPort} is in use`);
    const startedAt = Date.now();
    const out = openSync(outFile, "a");
    let jvm: ChildProcess;
    try {
      jvm = spawn(java, [...brokerJvmArgs, "kafka.Kafka", propsFile], { cwd: dataDir, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    const spawnError = new Promise<never>((_, reject) => jvm.once("error", (error) => reject(new Error(`could not start ${java}: ${error.message}`))));
    spawnError.catch(() => {});
    jvm.unref();
    child = jvm;
    liveJvms.add(jvm);
    if (jvm.pid !== undefined) watchdog = spawnWatchdog(jvm.pid, ownsDataDir ? dataDir : undefined);
    jvm.once("exit", (code, signal) => {
      liveJvms.delete(jvm);
      if (child === jvm) log(`Kafka broker JVM exited (code ${code}, signal ${signal})`);
    });
    log(`starting Apache Kafka ${version} on ${bootstrap} (controller ${HOST}:${controllerPort}, data ${dataDir}, pid ${jvm.pid})`);
    try {
      await Promise.race([waitUntilReady(jvm, startedAt), spawnError]);
    } catch (error) {
      await stopProcess("SIGKILL").catch(() => {});
      throw error;
    }
    log(`Kafka broker ready on ${bootstrap} after ${Date.now() - startedAt} ms`);
  };

  const broker: KafkaBroker = {
    brokers: [bootstrap],
    port,
    controllerPort,
    dataDir,
    logFile,
    clusterId: state.clusterId,
    kafkaVersion: version,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    get pid() {
      return child?.pid;
    },
    stop: () => stopProcess("SIGTERM"),
    kill: () => stopProcess("SIGKILL"),
    start,
    restart: async () => {
      await stopProcess("SIGTERM");
      await start();
    },
    destroy: async () => {
      await stopProcess("SIGTERM");
      if (ownsDataDir) {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
        tempDirs.delete(dataDir);
      }
    },
    logTail,
  };

  await start();
  return broker;
}
