import { ConnectError } from "@connectrpc/connect";
import cliProgress, { type GenericFormatter } from "cli-progress";
import { stringify } from "csv-stringify";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { ImportDeviceEntry, ImportDeviceResult } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { IMPORT_MAX_ENTRIES } from "../domain/import-service.js";
import { errorCodeName } from "../convert/error-code.js";
import { integerOption, stringOption, UsageError, type Command } from "./cli-command.js";
import { IMPORT_COLUMNS, readImportCsv, type CsvRow } from "./import-csv.js";

/** Exit code when the whole file was processed but some rows failed (their errors are in the output). */
const SOME_ROWS_FAILED = 3;

type OutputRecord = { hardware_id: string; claim_key: string; error_code: string; error_message: string };

/** import: a CSV of any size, sent as ImportDevices chunks; claim keys go to the output CSV only. */
export const importCommand: Command = {
  summary: "import devices from a CSV; writes each row's claim key or error to a results CSV",
  usage: "import <file.csv> [--out <results.csv>] [--chunk <n>]",
  help: [
    `  <file.csv>                    header row, then one device per row; columns: ${IMPORT_COLUMNS.join(", ")}`,
    "                                (hardware_id required; groups a;b; tags and meta k=v;k=v; is_gateway true/false)",
    "  --out <results.csv>           new file (mode 600) for hardware_id, claim_key, error_code, error_message,",
    "                                one row per input row in input order; default stdout unless it is a terminal",
    `  --chunk <n>                   rows per ImportDevices call, 1-${IMPORT_MAX_ENTRIES} (default 1000)`,
    "",
    `Exit code: 0 when every row got a claim key, ${SOME_ROWS_FAILED} when some rows failed, 1 on any other error.`,
  ].join("\n"),
  options: { out: { type: "string" }, chunk: { type: "string" } },
  positionals: ["file.csv"],
  async run({ client, values, positionals, out }) {
    const chunk = integerOption(values, "chunk", 1000, 1, IMPORT_MAX_ENTRIES);
    const outPath = stringOption(values, "out");
    // Claim keys are secrets: they go to a file or a pipe, never onto a terminal.
    if (outPath === undefined && (out as { isTTY?: boolean }).isTTY) throw new UsageError("--out <results.csv> is required when stdout is a terminal");
    const file = positionals[0]!;
    const { size } = await stat(file);
    const rows = readImportCsv(createReadStream(file))[Symbol.asyncIterator]();
    let next = await rows.next(); // reads the header: a bad one stops here, before any output exists

    const sink = outPath === undefined ? out : await openNew(outPath);
    const csv = stringify({ header: true, columns: [...OUTPUT_COLUMNS] });
    const written = pipeline(csv, sink, { end: outPath !== undefined });
    const progress = createProgress(size);
    const counts = { rows: 0, failed: 0 };
    const write = async (record: OutputRecord) => {
      counts.rows++;
      if (record.error_code !== "") counts.failed++;
      if (!csv.write(record)) await once(csv, "drain");
    };

    let batch: CsvRow[] = [];
    let entries = 0;
    const flush = async () => {
      const devices = batch.flatMap((r) => ("entry" in r ? [r.entry] : []));
      const results = devices.length > 0 ? await importChunk(client.importDevices.bind(client), devices) : [];
      let i = 0;
      for (const row of batch) await write("entry" in row ? outputOf(row, results[i++]!) : errorOutput(row.hardwareId, "INVALID_ARGUMENT", row.error));
      progress?.update(batch.at(-1)?.bytes ?? 0, counts);
      batch = [];
      entries = 0;
    };
    for (; !next.done; next = await rows.next()) {
      batch.push(next.value);
      if ("entry" in next.value && ++entries === chunk) await flush();
    }
    await flush();
    csv.end();
    await written;
    progress?.update(size, counts);
    progress?.stop();
    process.stderr.write(`${counts.rows - counts.failed} of ${counts.rows} rows imported, ${counts.failed} failed; results in ${outPath ?? "stdout"}\n`);
    return counts.failed > 0 ? SOME_ROWS_FAILED : 0;
  },
};

const OUTPUT_COLUMNS = ["hardware_id", "claim_key", "error_code", "error_message"] as const;

type ImportFn = (req: { devices: ImportDeviceEntry[] }) => Promise<{ results: ImportDeviceResult[] }>;
type Outcome = ImportDeviceResult | { code: string; message: string };

/** One ImportDevices call; a failed call is that error for each of its entries, and the import goes on. */
async function importChunk(importDevices: ImportFn, devices: ImportDeviceEntry[]): Promise<Outcome[]> {
  try {
    const { results } = await importDevices({ devices });
    if (results.length !== devices.length) throw new Error(`the service answered ${results.length} results for ${devices.length} entries`);
    return results;
  } catch (err) {
    const e = ConnectError.from(err);
    return devices.map(() => ({ code: errorCodeName(e.code), message: e.rawMessage }));
  }
}

function outputOf(row: CsvRow & { entry: ImportDeviceEntry }, outcome: Outcome): OutputRecord {
  if ("code" in outcome) return errorOutput(row.entry.hardwareId, outcome.code, outcome.message);
  if (outcome.error) {
    // The service names fields by their index in the chunk; the line number means more here.
    return errorOutput(row.entry.hardwareId, outcome.error.code, `line ${row.line}: ${outcome.error.message.replace(/^devices\[\d+\]\./, "")}`);
  }
  return { hardware_id: row.entry.hardwareId, claim_key: outcome.claimKey, error_code: "", error_message: "" };
}

function errorOutput(hardwareId: string, code: string, message: string): OutputRecord {
  return { hardware_id: hardwareId, claim_key: "", error_code: code, error_message: message };
}

/** A new file readable by its owner only; an existing file is never overwritten (it may hold unused claim keys). */
async function openNew(path: string): Promise<NodeJS.WritableStream> {
  const stream = createWriteStream(path, { flags: "wx", mode: 0o600 });
  try {
    await once(stream, "open");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new UsageError(`--out ${path} already exists: it is never overwritten, as it may hold claim keys; name a new file`);
    throw new UsageError(`--out ${path}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return stream;
}

// CommonJS: its named exports are not visible to an ES module import.
const { Format, SingleBar } = cliProgress;

const PROGRESS = "importing [{bar}] {percentage}% | {rows} rows, {failed} failed | ETA {eta_formatted}";

/** The progress line; before the first bytes are done there is no rate yet, so no ETA. */
export const progressFormat: GenericFormatter = (options, params, payload) =>
  Format.Formatter({ ...options, format: params.value === 0 ? PROGRESS.replace("{eta_formatted}", "--") : PROGRESS }, params, payload);

/** A progress bar over the bytes of the file, on stderr when it is a terminal. */
function createProgress(total: number): cliProgress.SingleBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    stream: process.stderr,
    format: progressFormat,
    hideCursor: true,
  });
  bar.start(Math.max(total, 1), 0, { rows: 0, failed: 0 });
  return bar;
}
