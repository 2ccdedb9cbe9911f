import { Writable } from "node:stream";
import { createLogger } from "../../src/observability/logger.js";
import { currentRequest, requestIdOf, runInRequest } from "../../src/observability/request-context.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A logger writing into an array of parsed lines. */
function capture(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", sink), lines };
}

describe("createLogger", () => {
  it("redacts fields named like secrets, at the top level and nested", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        api_key: "sk_live_1",
        claimKey: "ck_1",
        authorization: "Bearer t",
        device: { api_key: "sk_live_2", private_key: "pem" },
        a: { b: { claim_key: "ck_2" } },
        name: "kept",
      },
      "secrets",
    );
    expect(lines).toHaveLength(1);
    const text = JSON.stringify(lines[0]);
    for (const secret of ["sk_live_1", "ck_1", "Bearer t", "sk_live_2", "pem", "ck_2"]) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      api_key: "[redacted]",
      device: { api_key: "[redacted]", private_key: "[redacted]" },
      a: { b: { claim_key: "[redacted]" } },
      name: "kept",
    });
  });

  it("adds the request id to every line logged during a request, and none outside", async () => {
    const { logger, lines } = capture();
    await runInRequest({ requestId: "req-7" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      logger.warn("inside, after an await");
    });
    logger.info("outside");
    expect(lines.map((l) => [l["msg"], l["requestId"]])).toEqual([
      ["inside, after an await", "req-7"],
      ["outside", undefined],
    ]);
  });
});

describe("requestIdOf", () => {
  it("keeps a sane caller's id", () => {
    for (const id of ["abc", "0f8e-11:22", "Root=1-5759e988-bd862e3fe1be46a994272793", "a/b+c=", "x".repeat(128)]) expect(requestIdOf(id)).toBe(id);
  });

  it("replaces an empty, long, repeated or unsafe id by a new UUID", () => {
    for (const id of [undefined, "", "x".repeat(129), ["a", "b"], "two words", 'quote"d', "line\nbreak", "caf\u00e9", "a,b"]) {
      expect(requestIdOf(id)).toMatch(UUID);
    }
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });

  it("has no current request outside runInRequest", () => {
    expect(currentRequest()).toBeUndefined();
    expect(runInRequest({ requestId: "r" }, () => currentRequest()?.requestId)).toBe("r");
  });
});
