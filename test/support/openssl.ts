import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The real openssl CLI working in a temporary folder of its own. */
export interface Openssl {
  readonly dir: string;
  /** Runs openssl with `args` in the folder; its stdout (rejects on a non-zero exit, with stderr). */
  run(...args: string[]): Promise<string>;
  /** Runs openssl with `args`; stdout and stderr together, also on a non-zero exit (where `verify` says why). */
  output(...args: string[]): Promise<string>;
  /** Writes `content` to a new file of the folder; its name. */
  file(content: string | Uint8Array, ext?: string): string;
  read(name: string): string;
  /** A manufacturer CA as the README makes one: EC P-256, CA:TRUE, keyCertSign; its cert and key file names. */
  createCa(subject: string): Promise<{ cert: string; key: string }>;
  /** A self-signed server certificate for localhost and 127.0.0.1 (EC P-256, valid a day); its cert and key file names. */
  selfSignedServer(): Promise<{ cert: string; key: string }>;
  /** A key and a certificate signed by the CA for `subject`, with `extensions` (openssl extfile syntax). */
  issue(ca: { cert: string; key: string }, subject: string, extensions: string): Promise<{ cert: string; key: string }>;
}

/** Creates an openssl runner over a fresh temporary folder. */
export function createOpenssl(prefix: string): Openssl {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  let files = 0;
  const openssl = async (...args: string[]) => (await run("openssl", args, { cwd: dir })).stdout;
  const file = (content: string | Uint8Array, ext = "pem") => {
    const name = `f${++files}.${ext}`;
    writeFileSync(path.join(dir, name), content);
    return name;
  };
  // An EC P-256 key and a certificate it signs itself, with `extensions` (openssl -addext syntax).
  const selfSigned = async (stem: string, subject: string, days: number, extensions: string[]) => {
    const n = ++files;
    const [cert, key] = [`${stem}${n}.pem`, `${stem}${n}.key`];
    const added = extensions.flatMap((extension) => ["-addext", extension]);
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      String(days),
      "-subj",
      subject,
      ...added,
      "-keyout",
      key,
      "-out",
      cert,
    );
    return { cert, key };
  };
  return {
    dir,
    run: openssl,
    output: (...args) =>
      run("openssl", args, { cwd: dir }).then(
        ({ stdout, stderr }) => `${stdout}${stderr}`,
        (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
      ),
    file,
    read: (name) => readFileSync(path.join(dir, name), "utf8"),
    async selfSignedServer() {
      return selfSigned("server", "/CN=localhost", 1, ["subjectAltName=DNS:localhost,IP:127.0.0.1"]);
    },
    async createCa(subject) {
      return selfSigned("ca", subject, 3650, ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]);
    },
    async issue(ca, subject, extensions) {
      const n = ++files;
      await openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `c${n}.key`,
        "-subj",
        subject,
        "-out",
        `c${n}.csr`,
      );
      await openssl(
        "x509",
        "-req",
        "-in",
        `c${n}.csr`,
        "-CA",
        ca.cert,
        "-CAkey",
        ca.key,
        "-CAcreateserial",
        "-days",
        "365",
        "-extfile",
        file(extensions, "ext"),
        "-out",
        `c${n}.pem`,
      );
      return { cert: `c${n}.pem`, key: `c${n}.key` };
    },
  };
}
