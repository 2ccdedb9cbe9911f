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
