import { InvalidArgumentError } from "./errors.js";
import type { JsonObject } from "./device.js";

/** Bounds on request fields, shared by devices and profiles. */
export const limits = {
  nameLength: 200,
  hardwareIdLength: 128,
  groups: 32,
  groupLength: 64,
  mapEntries: 64,
  mapKeyLength: 128,
  mapValueLength: 512,
  versionLength: 128,
  configBytes: 64 * 1024,
  // Every nesting level is two messages (Value, ListValue/Struct) in the binary encoding, whose
  // decoders stop at 100: a deeper config could be stored but not read back over gRPC.
  configDepth: 32,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Printable characters only: no whitespace, no control or unassigned code points.
const PRINTABLE_TOKEN = /^[^\s\p{C}]+$/u;
// With the u flag, \p{Cs} matches only a surrogate that is not half of a pair.
const LONE_SURROGATE = /\p{Cs}/u;
const PROFILE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A required string of 1..max characters without control characters. */
export function requireText(field: string, value: string, max: number): string {
  if (value.length === 0) throw new InvalidArgumentError(field, "is required");
  return optionalText(field, value, max);
}

/** A string of at most max characters without control characters. */
export function optionalText(field: string, value: string, max: number): string {
  wellFormed(field, value);
  if ([...value].length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
  if (/\p{Cc}/u.test(value)) throw new InvalidArgumentError(field, "must not contain control characters");
  return value;
}

/** A hardware identifier: 1..128 printable characters without whitespace. */
export function hardwareId(field: string, value: string): string {
  if (value.length === 0) throw new InvalidArgumentError(field, "is required");
  wellFormed(field, value);
  if ([...value].length > limits.hardwareIdLength || !PRINTABLE_TOKEN.test(value)) {
    throw new InvalidArgumentError(field, `must be 1 to ${limits.hardwareIdLength} printable characters without whitespace`);
  }
  return value;
}

/** Whether a value is a UUID string (any version, either case), the form of every id here. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** A device_id reference: empty (none) or a UUID. */
export function optionalUuid(field: string, value: string): string | null {
  if (value === "") return null;
  if (!isUuid(value)) throw new InvalidArgumentError(field, "must be a device_id (UUID)");
  return value.toLowerCase();
}

/** A profile identifier such as "p_temp_sensor_v2". */
export function profileId(field: string, value: string): string {
  if (!PROFILE_ID.test(value)) {
    throw new InvalidArgumentError(field, "must be 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
  return value;
}

/** Group names: at most 32, each non-empty, unique, order kept. */
export function groups(field: string, values: readonly string[]): string[] {
  if (values.length > limits.groups) throw new InvalidArgumentError(field, `must have at most ${limits.groups} entries`);
  values.forEach((g, i) => requireText(`${field}[${i}]`, g, limits.groupLength));
  return [...new Set(values)];
}

/** A string map (tags, meta): bounded entry count and key/value lengths, non-empty keys. */
export function stringMap(field: string, map: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(map);
  if (entries.length > limits.mapEntries) throw new InvalidArgumentError(field, `must have at most ${limits.mapEntries} entries`);
  for (const [key, value] of entries) {
    requireText(`${field} key`, key, limits.mapKeyLength);
    optionalText(`${field}["${key}"]`, value, limits.mapValueLength);
  }
  return { ...map };
}

/** Desired-state config: a JSON object of bounded size and depth that PostgreSQL's jsonb can hold. */
export function config(field: string, value: JsonObject | null): JsonObject | null {
  if (value === null) return value;
  if (Buffer.byteLength(JSON.stringify(value)) > limits.configBytes) {
    throw new InvalidArgumentError(field, `must be at most ${limits.configBytes} bytes of JSON`);
  }
  const { depth, holdsNul, illFormed, notFinite } = inspectJson(value);
  if (depth > limits.configDepth) {
    throw new InvalidArgumentError(field, `must nest objects and arrays at most ${limits.configDepth} levels deep`);
  }
  // jsonb refuses U+0000 and lone surrogates in any key or string, and JSON has no NaN or Infinity.
  if (holdsNul) throw new InvalidArgumentError(field, "must not contain the character U+0000");
  if (illFormed) throw new InvalidArgumentError(field, "must be valid Unicode (no unpaired surrogate)");
  if (notFinite) throw new InvalidArgumentError(field, "numbers must be finite (no NaN or Infinity)");
  return value;
}

/** What config() checks of a JSON value: nesting levels (a scalar is 0) and the keys, strings and numbers it holds. */
interface JsonTraits {
  depth: number;
  holdsNul: boolean;
  illFormed: boolean;
  notFinite: boolean;
}

function inspectJson(value: unknown): JsonTraits {
  if (typeof value === "string") return { depth: 0, holdsNul: value.includes("\u0000"), illFormed: LONE_SURROGATE.test(value), notFinite: false };
  if (typeof value === "number") return { depth: 0, holdsNul: false, illFormed: false, notFinite: !Number.isFinite(value) };
  if (value === null || typeof value !== "object") return { depth: 0, holdsNul: false, illFormed: false, notFinite: false };
  const traits = { depth: 0, holdsNul: false, illFormed: false, notFinite: false };
  for (const [key, item] of Object.entries(value)) {
    const inner = inspectJson(item);
    traits.depth = Math.max(traits.depth, inner.depth);
    traits.holdsNul ||= inner.holdsNul || key.includes("\u0000");
    traits.illFormed ||= inner.illFormed || LONE_SURROGATE.test(key);
    traits.notFinite ||= inner.notFinite;
  }
  return { ...traits, depth: traits.depth + 1 };
}

/** Strings must be valid Unicode: an unpaired surrogate cannot be stored as UTF-8. */
function wellFormed(field: string, value: string): void {
  if (LONE_SURROGATE.test(value)) throw new InvalidArgumentError(field, "must be valid Unicode (no unpaired surrogate)");
}

/** An enum field: one of the allowed numeric values. */
export function enumValue<T extends number>(field: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new InvalidArgumentError(field, `unknown value ${value}`);
  return value;
}
