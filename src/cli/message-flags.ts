import type { ParseArgsOptionsConfig } from "node:util";
import type { OptionValues } from "./cli-command.js";
import { UsageError } from "./cli-command.js";

/** How a command-line flag maps to a field of a request message's JSON (proto field names). */
export interface FieldFlag {
  readonly flag: string;
  readonly field: string;
  /** string; list: repeatable; map: repeatable key=value; json: a JSON value; boolean: a switch. */
  readonly kind: "string" | "list" | "map" | "json" | "boolean";
  readonly help: string;
}

/** The parseArgs options of a set of field flags. */
export function flagOptions(flags: readonly FieldFlag[]): ParseArgsOptionsConfig {
  return Object.fromEntries(
    flags.map((f) => [f.flag, f.kind === "boolean" ? { type: "boolean" } : { type: "string", multiple: f.kind === "list" || f.kind === "map" }]),
  );
}

/** Help lines of a set of field flags. */
export function flagHelp(flags: readonly FieldFlag[]): string {
  return flags.map((f) => `  --${f.flag}${f.kind === "boolean" ? "" : " <value>"}`.padEnd(32) + f.help).join("\n");
}

/**
 * The proto JSON object the given flags describe, for fromJson: the message's own parsing then
 * checks enum names and types, so the CLI accepts exactly what the API does.
 */
export function messageJson(flags: readonly FieldFlag[], values: OptionValues): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const f of flags) {
    const value = values[f.flag];
    if (value === undefined) continue;
    if (f.kind === "map") json[f.field] = keyValues(`--${f.flag}`, value as string[]);
    else if (f.kind === "json") json[f.field] = parseJson(`--${f.flag}`, value as string);
    else json[f.field] = value;
  }
  return json;
}

/** `k=v` pairs as an object; UsageError naming `what` for a pair without "=" or a repeated key. */
export function keyValues(what: string, pairs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq).trim();
    if (eq < 0 || key === "") throw new UsageError(`${what}: "${pair}" is not key=value`);
    if (Object.hasOwn(map, key)) throw new UsageError(`${what}: key "${key}" appears twice`);
    map[key] = pair.slice(eq + 1).trim();
  }
  return map;
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what}: not valid JSON (${(err as Error).message})`);
  }
}
