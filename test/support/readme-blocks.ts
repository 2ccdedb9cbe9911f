import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One fenced code block of the README: its language and the `###` heading it is under. */
export interface ReadmeBlock {
  readonly heading: string;
  readonly lang: string;
  readonly code: string;
}

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../README.md");

/** The code blocks of the README's "For platform teams" section, in order. */
export function platformBlocks(): ReadmeBlock[] {
  const section = /\n## For platform teams\n([\s\S]*?)\n## /.exec(readFileSync(README, "utf8"))?.[1] ?? "";
  const blocks: ReadmeBlock[] = [];
  let heading = "";
  for (const part of section.split(/^(### .*)$/m)) {
    if (part.startsWith("### ")) heading = part.slice(4);
    else for (const m of part.matchAll(/```(\w+)\n([\s\S]*?)```/g)) blocks.push({ heading, lang: m[1]!, code: m[2]! });
  }
  return blocks;
}

/** The code of the platform section's first `lang` block under a heading starting with `heading`. */
export function platformBlock(heading: string, lang: string): string {
  const found = platformBlocks().find((b) => b.heading.startsWith(heading) && b.lang === lang);
  if (found === undefined) throw new Error(`no ${lang} block under "${heading}" in the README`);
  return found.code;
}
