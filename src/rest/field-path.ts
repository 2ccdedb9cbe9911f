/**
 * Resolving dotted field paths ("book.shelf.id") on message descriptors.
 *
 * Path variables name fields by their proto names only (as the google.api.http grammar does);
 * query parameters may use the proto name or the JSON (lowerCamelCase) name of each segment.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";

/** A resolved field path: the fields from the request message down to the leaf. */
export type FieldPath = readonly DescField[];

/** The result of resolving a path: the fields, or why it could not be resolved. */
export type FieldPathResult = { readonly ok: true; readonly fields: FieldPath } | { readonly ok: false; readonly reason: string };

/**
 * Resolves `names` on `schema`. Every segment but the last must be a singular message field
 * whose JSON form is an object (well-known types with a special JSON form cannot be entered).
 */
export function resolveFieldPath(
  schema: DescMessage,
  names: readonly string[],
  acceptJsonNames: boolean,
): FieldPathResult {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = schema;
  for (const name of names) {
    if (message === undefined) {
      const parent = fields[fields.length - 1]!;
      return { ok: false, reason: `field "${parent.name}" has no subfields` };
    }
    const field: DescField | undefined = message.fields.find(
      (f) => f.name === name || (acceptJsonNames && f.jsonName === name),
    );
    if (field === undefined) {
      return { ok: false, reason: `${message.typeName} has no field "${name}"` };
    }
    fields.push(field);
    message =
      field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.")
        ? field.message
        : undefined;
  }
  if (fields.length === 0) {
    return { ok: false, reason: "empty field path" };
  }
  return { ok: true, fields };
}

/** The dotted proto-name form of a resolved path, e.g. "book.shelf.id". */
export function fieldPathName(path: FieldPath): string {
  return path.map((f) => f.name).join(".");
}

/** True when one path equals the other or is a prefix of it (they touch the same data). */
export function fieldPathsOverlap(a: FieldPath, b: FieldPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
