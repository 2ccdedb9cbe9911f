/**
 * Stops at once, with one line, on a Node.js older than the service needs (WebCrypto's
 * KeyObject.toCryptoKey, among others): imported first by main, before anything that would fail
 * later with a less helpful error.
 */
const REQUIRED_MAJOR = 24;

/** The line to print when `version` (like process.versions.node) is too old, else undefined. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(version.split(".", 1)[0]);
  if (major >= REQUIRED_MAJOR) return undefined;
  return `startup failed: the device registry needs Node.js ${REQUIRED_MAJOR} or later, this is Node.js ${version} (npm ci installs it: run the service with npm start)`;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
