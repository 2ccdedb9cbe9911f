#!/usr/bin/env node
import { ConnectError } from "@connectrpc/connect";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createDeviceRegistryClient, type Protocol } from "../client/device-registry-client.js";
import { errorCodeName } from "../convert/error-code.js";
import { UsageError, type Command, type OptionValues } from "./cli-command.js";
import { claimCommands } from "./claim-commands.js";
import { deviceCommands } from "./device-commands.js";
import { importCommand } from "./import-command.js";
import { profileCommands } from "./profile-commands.js";

// The admin command line: `device-registry <command> ...`, or `npm run --silent cli -- <command> ...`.

const globalOptions = {
  url: { type: "string" },
  token: { type: "string" },
  protocol: { type: "string" },
  cacert: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const globalHelp = [
  "  --url <url>                   the service (default http://localhost:8080)",
  "  --token <jwt>                 bearer token (default: the DEVICE_REGISTRY_TOKEN environment variable)",
  "  --protocol <p>                connect (default), grpc or grpc-web",
  "  --cacert <file.pem>           trust this CA for an https:// --url (a private CA; default: the public roots)",
  "  -h, --help                    this help",
].join("\n");

const commands: Readonly<Record<string, Command>> = {
  import: importCommand,
  ...claimCommands,
  ...deviceCommands,
  ...Object.fromEntries(Object.entries(profileCommands).map(([name, command]) => [`profiles ${name}`, command])),
};

/** Runs one command line; resolves to the exit code. */
async function main(argv: string[]): Promise<number> {
  // A first, lenient pass finds the command among the words; the second checks its options strictly.
  const words = parseArgs({ args: argv, options: globalOptions, strict: false, allowPositionals: true }).positionals;
  const name = words[0] === "profiles" ? `profiles ${words[1] ?? ""}` : (words[0] ?? "");
  const command = commands[name];
  if (command === undefined) {
    if (name !== "" && name !== "profiles ") throw new UsageError(`unknown command "${name}"`);
    process.stdout.write(overview());
    return name === "" && argv.some((a) => a === "--help" || a === "-h") ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...globalOptions, ...command.options }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as OptionValues;
  if (values["help"]) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const positionals = parsed.positionals.slice(name.split(" ").length);
  if (positionals.length !== command.positionals.length) throw new UsageError(`usage: device-registry ${command.usage}`);
  const token = (values["token"] as string | undefined) ?? env("DEVICE_REGISTRY_TOKEN");
  if (token === undefined) throw new UsageError("a token is required: --token <jwt> or DEVICE_REGISTRY_TOKEN");
  const cacert = values["cacert"] as string | undefined;
  const client = createDeviceRegistryClient((values["url"] as string | undefined) ?? "http://localhost:8080", {
    protocol: protocol(values["protocol"]),
    token,
    ...(cacert === undefined ? {} : { ca: readCaFile(cacert) }),
  });
  return command.run({ client, values, positionals, out: process.stdout });
}

function protocol(value: unknown): Protocol {
  if (value === undefined) return "connect";
  if (value === "connect" || value === "grpc" || value === "grpc-web") return value;
  throw new UsageError(`--protocol must be connect, grpc or grpc-web, got "${String(value)}"`);
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`--cacert: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const list = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`);
  return (
    `usage: device-registry <command> [options]\n\ncommands:\n${list.join("\n")}\n\noptions of every command:\n${globalHelp}\n\n` +
    "`device-registry <command> --help` describes a command. Output is JSON with the API's field names;\n" +
    "errors print CODE: message and exit 1; usage errors exit 2.\n"
  );
}

function commandHelp(command: Command): string {
  return `usage: device-registry ${command.usage}\n\n${command.summary}\n\n${command.help ? `${command.help}\n\n` : ""}${globalHelp}\n`;
}

// A reader that stops early (`… | head`) closes the pipe: the rest of the output is unwanted, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n(device-registry --help lists the commands)\n`);
      process.exitCode = 2;
    } else if (err instanceof ConnectError) {
      process.stderr.write(`${errorCodeName(err.code)}: ${err.rawMessage}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
