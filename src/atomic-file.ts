import { randomUUID } from "node:crypto";
import { link, rename, unlink, writeFile } from "node:fs/promises";

/**
 * Creates `file` with `content` and `mode` unless it exists: a temp file with the final mode is
 * hard-linked into place, so it is atomic and a concurrent creator's file wins untouched.
 */
export async function createExclusively(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode, flag: "wx" });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(temp);
  }
}

/** Replaces `file` atomically: readers never see a half-written file. */
export async function replaceFile(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode, flag: "wx" });
  await rename(temp, file);
}
