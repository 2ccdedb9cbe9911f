import type { Client } from "@connectrpc/connect";
import type { ParseArgsOptionsConfig } from "node:util";
import type { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";

/** Bad command-line input: exit code 2, as is usual for usage errors. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parsed option values of one command. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What a command runs with. */
export interface CommandContext {
  readonly client: Client<typeof DeviceRegistryService>;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  /** Where results go (stdout). */
  readonly out: NodeJS.WritableStream;
}

/** One command of the CLI: its options, its help text and what it does; resolves to the exit code. */
export interface Command {
  readonly summary: string;
  /** Usage line(s) after the program name, e.g. "get <device_id>". */
  readonly usage: string;
  /** Lines describing the options and arguments. */
  readonly help: string;
  readonly options: ParseArgsOptionsConfig;
  /** Names of the positional arguments, all required. */
  readonly positionals: readonly string[];
  run(context: CommandContext): Promise<number>;
}

/** The string value of an option, or undefined when absent. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** An integer option within [min, max]; UsageError naming the option otherwise. */
export function integerOption(values: OptionValues, name: string, fallback: number, min: number, max: number): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}
