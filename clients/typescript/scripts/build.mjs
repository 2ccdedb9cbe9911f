// Builds dist/ (committed, so git, path and tarball installs need no build step): the hand-written
// src/ and the repository's gen/ for deviceregistry (with the google/api files it imports),
// compiled twice by tsc — ES modules to dist/esm, CommonJS to dist/cjs — with declarations.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const gen = path.resolve(here, "../../gen");
const staged = path.join(here, "build/src");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(path.join(here, "build"), { recursive: true, force: true });
rmSync(path.join(here, "dist"), { recursive: true, force: true });
cpSync(path.join(here, "src"), staged, { recursive: true });
// The generated code, less the proto comments that only the service's OpenAPI document reads.
const code = (file) => !file.endsWith("_docs.ts");
for (const dir of ["deviceregistry", "google/api"]) cpSync(path.join(gen, dir), path.join(staged, "gen", dir), { recursive: true, filter: code });

for (const [format, type] of [
  ["esm", "module"],
  ["cjs", "commonjs"],
]) {
  // The nearest package.json's "type" decides which module format tsc (module: nodenext) emits.
  writeFileSync(path.join(staged, "package.json"), JSON.stringify({ type }));
  const out = path.join(here, "dist", format);
  execFileSync(process.execPath, [tsc, "-p", path.join(here, "tsconfig.json"), "--outDir", out], { stdio: "inherit" });
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "package.json"), `${JSON.stringify({ type }, null, 2)}\n`);
}
rmSync(path.join(here, "build"), { recursive: true, force: true });
