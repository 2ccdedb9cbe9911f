import path from "node:path";
import { parseArgs } from "node:util";
import { loadOrCreateDevKey } from "../auth/dev-key.js";
import { checkDevTokenRequest, mintDevToken } from "../auth/dev-token.js";

// Prints one dev-mode JWT signed with the local dev key; `npm run --silent token -- ...` keeps npm's banner out.

const usage =
  "usage: npm run --silent token -- --tenant <uuid> --role <tenant_admin|platform_admin|member|service|platform_service> " +
  "[--sub <subject>] [--permissions devices,...] [--ttl <seconds>] [--data-dir <dir>] [--issuer <iss>] [--audience <aud>]";

/** Bad command-line input: exit code 2, as is usual for usage errors. */
class UsageError extends Error {}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        tenant: { type: "string" },
        role: { type: "string" },
        sub: { type: "string" },
        permissions: { type: "string" },
        ttl: { type: "string" },
        "data-dir": { type: "string" },
        issuer: { type: "string" },
        audience: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const request = {
    tenantId: values.tenant ?? "",
    role: values.role ?? "",
    subject: values.sub,
    permissions: values.permissions
      ?.split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    ttlSeconds: values.ttl === undefined ? undefined : Number(values.ttl),
    // Match the server's checks when it runs with AUTH_ISSUER / AUTH_AUDIENCE in dev mode.
    issuer: values.issuer ?? env("AUTH_ISSUER"),
    audience: values.audience ?? env("AUTH_AUDIENCE"),
  };
  if (values.tenant === undefined) throw new UsageError("--tenant <uuid> is required");
  if (values.role === undefined) throw new UsageError("--role <role> is required");
  try {
    checkDevTokenRequest(request); // before touching the data folder
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (env("AUTH_JWKS") !== undefined) {
    process.stderr.write("warning: AUTH_JWKS is set, so the server does not trust dev tokens\n");
  }
  const { privateKey, kid } = await loadOrCreateDevKey(path.resolve(values["data-dir"] ?? env("DATA_DIR") ?? ".data"));
  process.stdout.write(`${await mintDevToken({ ...request, privateKey, kid })}\n`);
}

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
