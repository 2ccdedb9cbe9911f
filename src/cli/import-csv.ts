import { create } from "@bufbuild/protobuf";
import { parse, type Parser } from "csv-parse";
import type { Readable } from "node:stream";
import { ImportDeviceEntrySchema, type ImportDeviceEntry } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { UsageError } from "./cli-command.js";
import { keyValues } from "./message-flags.js";

/** The columns an import CSV may have; only hardware_id is required. */
export const IMPORT_COLUMNS = ["hardware_id", "name", "groups", "tags", "meta", "profile_id", "sub_model", "is_gateway"] as const;

/** One data row of the CSV: an entry to import, or why the row cannot be one. */
export type CsvRow = { readonly line: number; readonly bytes: number } & (
  { readonly entry: ImportDeviceEntry } | { readonly hardwareId: string; readonly error: string }
);

type Parsed = { record: string[]; info: { records: number; lines: number; bytes: number } };
type Skipped = { after: number; line: number; message: string };

/**
 * Reads an import CSV as a stream, row by row in file order. A malformed row (a wrong number of
 * fields, a tag without "=") comes out as an error row and the rest go on; stray quotes are kept
 * as text, and a quote never closed makes the rest of the file one error row. Only a bad header
 * row stops the reading (UsageError).
 */
export async function* readImportCsv(input: Readable): AsyncGenerator<CsvRow> {
  // The parser reports skipped records aside from the ones it emits; the count of records
  // emitted before each skip puts both back in file order.
  const skipped: Skipped[] = [];
  const parser: Parser = parse({
    bom: true,
    trim: true,
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => void skipped.push({ after: parser.info.records, line: Number(err?.lines ?? 0), message: err?.message ?? "unreadable record" }),
  });
  input.once("error", (err) => parser.destroy(err));
  let columns: string[] | undefined;
  let bytes = 0;
  for await (const { record, info } of input.pipe(parser) as AsyncIterable<Parsed>) {
    while (skipped.length > 0 && skipped[0]!.after < info.records) yield skippedRow(skipped.shift()!, bytes);
    bytes = info.bytes;
    if (columns === undefined) {
      columns = header(record);
      continue;
    }
    yield row(columns, record, info.lines, bytes);
  }
  if (columns === undefined) throw new UsageError("the CSV has no header row");
  for (const s of skipped) yield skippedRow(s, bytes);
}

function header(fields: string[]): string[] {
  const columns = fields.map((f) => f.toLowerCase());
  for (const [i, c] of columns.entries()) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(c))
      throw new UsageError(`unknown column "${fields[i]}" in the header (columns: ${IMPORT_COLUMNS.join(", ")})`);
    if (columns.indexOf(c) !== i) throw new UsageError(`column "${c}" appears twice in the header`);
  }
  if (!columns.includes("hardware_id")) throw new UsageError("the header has no hardware_id column");
  return columns;
}

function row(columns: string[], fields: string[], line: number, bytes: number): CsvRow {
  const cell = (name: string) => fields[columns.indexOf(name)] ?? "";
  const at = { line, bytes };
  if (fields.length !== columns.length) {
    return { ...at, hardwareId: cell("hardware_id"), error: `line ${line}: has ${fields.length} fields, the header has ${columns.length}` };
  }
  try {
    const entry = create(ImportDeviceEntrySchema, {
      hardwareId: cell("hardware_id"),
      name: cell("name"),
      groups: list(cell("groups")),
      tags: keyValues("tags", list(cell("tags"))),
      meta: keyValues("meta", list(cell("meta"))),
      profileId: cell("profile_id"),
      subModel: cell("sub_model"),
      isGateway: yesNo("is_gateway", cell("is_gateway")),
    });
    return { ...at, entry };
  } catch (err) {
    return { ...at, hardwareId: cell("hardware_id"), error: `line ${line}: ${(err as Error).message}` };
  }
}

function skippedRow(s: Skipped, bytes: number): CsvRow {
  return { line: s.line, bytes, hardwareId: "", error: s.message };
}

/** `a;b` as ["a", "b"]. */
function list(cell: string): string[] {
  return cell
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** true/false, yes/no or 1/0; empty is false. */
function yesNo(column: string, cell: string): boolean {
  const value = cell.toLowerCase();
  if (["", "false", "no", "0"].includes(value)) return false;
  if (["true", "yes", "1"].includes(value)) return true;
  throw new Error(`${column}: "${cell}" is not true or false`);
}
