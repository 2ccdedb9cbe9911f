import { readFileSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwksCache } from "jose";
import type { FlattenedJWSInput, JSONWebKeySet, JWKSCacheInput, JWSHeaderParameters, JWTVerifyGetKey } from "jose";

/**
 * A key resolver for jose `jwtVerify`: picks the verification key by the token header's kid and
 * alg. `validUntil` (ms since the epoch) is when the keys it answers with now are checked against
 * their source again: a key removed from the source is still used until then, never after, so a
 * token verified with it must not be trusted past it either.
 */
export type KeySet = JWTVerifyGetKey & { readonly validUntil?: () => number };

/** How long after a JWKS file changed its removed keys may still be used (the file is re-checked this often). */
const JWKS_FILE_RECHECK_MS = 5_000;
/** How long after a JWKS URL changed its removed keys may still be used (the set is refetched at this age). */
const JWKS_URL_MAX_AGE_MS = 60_000;

/** Tuning of {@link createKeySet}; the defaults suit production. */
export interface KeySetOptions {
  /** A JWKS file is re-checked at most this often even when every kid matches, so removed keys stop working. */
  readonly recheckMs?: number;
  /** After a fetch, an unknown kid refetches a JWKS URL only once this long has passed (default 30 s). */
  readonly cooldownMs?: number;
  /** A JWKS URL's keys are refetched once they are this old, so removed keys stop working. */
  readonly maxAgeMs?: number;
}

/**
 * Creates the key resolver for a JWKS `source`: an http(s) URL (fetched by jose, refetched on an
 * unknown kid after a cooldown and once the keys are `maxAgeMs` old) or a file path (re-read when
 * a kid is unknown or `recheckMs` after the last check, if the file changed).
 * Throws an Error naming the path when the file is missing, unreadable or not a valid JWKS.
 */
export function createKeySet(source: string, options: KeySetOptions = {}): KeySet {
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new Error(`JWKS URL ${source} is not a valid URL`);
    }
    const maxAgeMs = options.maxAgeMs ?? JWKS_URL_MAX_AGE_MS;
    // jose records in here when it last fetched the keys.
    const fetched: Partial<JWKSCacheInput> = {};
    const remote = createRemoteJWKSet(url, { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: maxAgeMs, [jwksCache]: fetched as JWKSCacheInput });
    return Object.assign((header?: JWSHeaderParameters, token?: FlattenedJWSInput) => remote(header, token), {
      validUntil: () => (fetched.uat ?? 0) + maxAgeMs,
    });
  }
  return createFileKeySet(path.resolve(source), options.recheckMs ?? JWKS_FILE_RECHECK_MS);
}

function createFileKeySet(file: string, recheckMs: number): KeySet {
  let stamp: string;
  let local: ReturnType<typeof createLocalJWKSet>;
  try {
    stamp = stampOf(statSync(file));
    local = createLocalJWKSet(parseJwks(readFileSync(file, "utf8"), true));
  } catch (err) {
    throw new Error(`JWKS file ${file} cannot be used: ${reason(err)}`, { cause: err });
  }
  let checkedAt = Date.now();
  let pending: Promise<void> | undefined;

  // One stat (and a read only if the file changed) however many requests miss at once.
  const refresh = (): Promise<void> =>
    (pending ??= (async () => {
      try {
        const current = stampOf(await stat(file));
        checkedAt = Date.now();
        if (current === stamp) return;
        local = createLocalJWKSet(parseJwks(await readFile(file, "utf8"), false));
        stamp = current;
      } catch {
        // Mid-write or briefly missing during a rotation: keep the last good keys and retry on the next miss.
      } finally {
        pending = undefined;
      }
    })());

  const getKey = async (header?: JWSHeaderParameters, token?: FlattenedJWSInput) => {
    if (Date.now() - checkedAt >= recheckMs) await refresh();
    try {
      return await local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      await refresh();
      return local(header, token);
    }
  };
  return Object.assign(getKey, { validUntil: () => checkedAt + recheckMs });
}

// mtime alone can tie within one clock tick; size and inode catch rewrites and atomic renames too.
function stampOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function parseJwks(text: string, requireKeys: boolean): JSONWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("not valid JSON");
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('not a JWKS (no "keys" array)');
  if (requireKeys && keys.length === 0) throw new Error('the "keys" array is empty');
  for (const key of keys) {
    if (typeof key !== "object" || key === null || typeof key.kty !== "string") {
      throw new Error('every key needs a "kty"');
    }
    // A private or symmetric key here means the wrong file was configured; refuse rather than leak trust.
    if ("d" in key || key.kty === "oct") throw new Error("it holds a private or symmetric key; publish only public keys");
  }
  return value as JSONWebKeySet;
}

function reason(err: unknown): string {
  if (err instanceof errors.JOSEError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}
