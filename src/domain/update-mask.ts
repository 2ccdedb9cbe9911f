import { InvalidArgumentError } from "./errors.js";

/**
 * The fields an update_mask names, by `updatable` (proto field name to field): INVALID_ARGUMENT
 * for an empty mask, a path of `immutable`, or a path not in the table, whichever comes first.
 */
export function maskedFields<K>(mask: readonly string[], updatable: Readonly<Record<string, K>>, immutable: readonly string[] = []): K[] {
  if (mask.length === 0) throw new InvalidArgumentError("update_mask", "must name at least one field");
  return mask.map((path) => {
    if (immutable.includes(path)) throw new InvalidArgumentError("update_mask", `${path} is immutable`);
    const key = updatable[path];
    if (key === undefined) throw new InvalidArgumentError("update_mask", `field "${path}" cannot be updated`);
    return key;
  });
}

/** `current` as of `updatedAt`, with the fields `keys` taken from `changes`. */
export function withMasked<T extends { updatedAt: Date }, C>(current: T, keys: readonly (keyof C)[], changes: C, updatedAt: Date): T {
  const next = { ...current, updatedAt };
  for (const key of keys) Object.assign(next, { [key]: changes[key] });
  return next;
}

// Updates that lose a race without an etag are retried this many times.
const UPDATE_ATTEMPTS = 5;

/**
 * Runs `attempt` (read, check the etag, write if the stored version is unchanged; undefined when a
 * concurrent change won) until it stores: without an etag up to 5 times, with one only once,
 * since the caller's version is gone. Then `lost()` is thrown.
 */
export async function retryLostUpdates<T>(etag: string, attempt: () => Promise<T | undefined>, lost: () => Error): Promise<T> {
  for (let n = 1; ; n++) {
    const stored = await attempt();
    if (stored) return stored;
    if (etag !== "" || n === UPDATE_ATTEMPTS) throw lost();
  }
}
