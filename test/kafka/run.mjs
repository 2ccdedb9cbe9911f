#!/usr/bin/env node
// `npm run kafka`: a single-node Apache Kafka broker (KRaft) in the foreground,
// for local development. Ctrl-C stops it.
//
//   data:  $DATA_DIR/kafka, else ./.data/kafka (kept between runs)
//   port:  $KAFKA_PORT, else 9092 (controller: $KAFKA_CONTROLLER_PORT, else the
//          one stored in the data dir, else a free port)
//
// Plain .mjs so Node runs it as is; Node 24 strips the types of broker.ts.
import { join, resolve } from "node:path";
import { startKafka } from "./broker.ts";
// The broker's ready probe is a kafkajs client: without the service's fix of kafkajs's request
// queue it would print a TimeoutNegativeWarning (see the file).
import "../../src/events/kafkajs-request-queue.ts";

const dataDir = resolve(process.env.DATA_DIR ? join(process.env.DATA_DIR, "kafka") : join(".data", "kafka"));
const port = Number(process.env.KAFKA_PORT || 9092);
const controllerPort = process.env.KAFKA_CONTROLLER_PORT ? Number(process.env.KAFKA_CONTROLLER_PORT) : undefined;
const log = (line) => console.log(`[kafka] ${line}`);

let broker;
try {
  broker = await startKafka({ dataDir, port, ...(controllerPort ? { controllerPort } : {}), log, startTimeoutMs: 120_000 });
} catch (error) {
  console.error(`[kafka] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

console.log(`KAFKA_BROKERS=${broker.brokers.join(",")}`);
log(`Apache Kafka ${broker.kafkaVersion}, data ${broker.dataDir}, log ${broker.logFile}. Ctrl-C to stop.`);

let stopping = false;
// keeps the process alive, and notices a JVM that died on its own
const watch = setInterval(() => {
  if (!stopping && !broker.running) {
    console.error(`[kafka] the broker exited unexpectedly; last log lines:\n${broker.logTail(30)}`);
    process.exit(1);
  }
}, 1000);

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  try {
    await broker.stop();
  } finally {
    clearInterval(watch);
    process.exit(0);
  }
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void shutdown(signal));
