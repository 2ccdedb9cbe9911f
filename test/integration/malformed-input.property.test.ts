import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { registrationRowCounts } from "../support/test-database.js";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Throws malformed RegisterDevice bodies at the REST mapping and at the Connect JSON endpoint.
 *
 * Every body is built to be invalid: either it is not a JSON object at all, or it is an object in
 * which name or hardware_id is broken (absent, null, wrong JSON type, too long, containing
 * whitespace or control characters, empty), with random other fields around it. Byte-level damage
 * (truncation, invalid UTF-8, a replaced byte, deep nesting, trailing garbage) comes on top.
 * A replaced byte or a stray invalid byte can, rarely, repair a broken field (an empty name that
 * Connect's lenient UTF-8 decoding turns into "\uFFFD", a whitespace turned into a letter), so
 * `couldRegister` decodes each body as leniently as any endpoint does and drops any body whose
 * name and hardware_id might both be valid. A 2xx, or a row written, can then only mean that the
 * server accepted a request it must refuse.
 */

const REST_PATH = "/api/v1/devices";
const CONNECT_PATH = "/deviceregistry.v1.DeviceRegistryService/RegisterDevice";

const BATCH = 8; // bodies per run; each goes to both endpoints, so 16 requests in flight at most
const RUNS = 70; // 70 runs x 8 bodies x 2 endpoints = 1,120 requests

type Entry = readonly [key: string, rawJson: string];
interface Malformed {
  readonly kind: string;
  readonly bytes: Uint8Array;
}

// ---- the safety net ---------------------------------------------------------------------------

const PRINTABLE_TOKEN = /^[^\s\p{C}]+$/u;
const CONTROL = /\p{Cc}/u;
const codePoints = (s: string) => [...s].length;
const plausibleName = (v: unknown) => typeof v === "string" && v.length > 0 && codePoints(v) <= 200 && !CONTROL.test(v);
const plausibleHardwareId = (v: unknown) => typeof v === "string" && codePoints(v) <= 128 && PRINTABLE_TOKEN.test(v);

/** Whether any endpoint might accept `bytes` as a valid registration (an over-approximation). */
function couldRegister(bytes: Uint8Array): boolean {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return false;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const obj = value as Record<string, unknown>;
  return plausibleName(obj["name"]) && (plausibleHardwareId(obj["hardware_id"]) || plausibleHardwareId(obj["hardwareId"]));
}

// ---- building blocks --------------------------------------------------------------------------

const raw = (v: unknown) => JSON.stringify(v);
/** `c` repeated `min..max` times: long strings without generating them character by character. */
const repeated = (chars: readonly string[], min: number, max: number) =>
  fc.tuple(fc.constantFrom(...chars), fc.integer({ min, max })).map(([c, n]) => c.repeat(n));

const validName = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "" && !CONTROL.test(s));
const validHardwareId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/).map((s) => `FUZZ-${s}`);

/** Raw JSON of a value that is neither a string nor null. */
const wrongTypeRaw = fc.oneof(
  fc.integer().map(raw),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(raw),
  fc.constantFrom("1e400", "-0", "123456789012345678901234567890", "0.1e-999"),
  fc.boolean().map(raw),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map(raw),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map(raw),
);

const controlChar = fc.constantFrom("\u0000", "\u0001", "\u0007", "\u001b", "\u001f", "\u007f", "\u0085", "\u009f");
const whitespaceChar = fc.constantFrom(" ", "\t", "\n", "\r", "\u000b", "\u00a0", "\u2028", "\u3000", "\ufeff");
const withInside = (inner: fc.Arbitrary<string>) => fc.tuple(fc.string({ maxLength: 10 }), inner, fc.string({ maxLength: 10 })).map(([a, b, c]) => a + b + c);

/** name entries that can never pass validation. */
const brokenName: fc.Arbitrary<{ kind: string; entries: Entry[] }> = fc.oneof(
  fc.constant({ kind: "name absent", entries: [] as Entry[] }),
  fc.constant({ kind: "name null", entries: [["name", "null"]] as Entry[] }),
  fc.constant({ kind: "name empty", entries: [["name", '""']] as Entry[] }),
  wrongTypeRaw.map((v) => ({ kind: "name wrong type", entries: [["name", v]] as Entry[] })),
  repeated(["n", "é", "😀", "名"], 201, 60_000).map((s) => ({ kind: "name too long", entries: [["name", raw(s)]] as Entry[] })),
  withInside(controlChar).map((s) => ({ kind: "name with control character", entries: [["name", raw(s)]] as Entry[] })),
);

/** hardware_id entries that can never pass validation, under either JSON name. */
const brokenHardwareId: fc.Arbitrary<{ kind: string; entries: Entry[] }> = fc
  .tuple(
    fc.constantFrom("hardware_id", "hardwareId"),
    fc.oneof(
      fc.constant({ kind: "hardware_id absent", value: undefined }),
      fc.constant({ kind: "hardware_id null", value: "null" }),
      fc.constant({ kind: "hardware_id empty", value: '""' }),
      wrongTypeRaw.map((v) => ({ kind: "hardware_id wrong type", value: v })),
      repeated(["H", "ß", "😀"], 129, 60_000).map((s) => ({ kind: "hardware_id too long", value: raw(s) })),
      withInside(whitespaceChar).map((s) => ({ kind: "hardware_id with whitespace", value: raw(s) })),
      withInside(controlChar).map((s) => ({ kind: "hardware_id with control character", value: raw(s) })),
    ),
  )
  .map(([key, { kind, value }]) => ({ kind, entries: value === undefined ? [] : ([[key, value]] as Entry[]) }));

/** Deeply nested arrays or objects as raw JSON (built as text: too deep for JSON.stringify). */
const deepNesting = fc
  .tuple(fc.constantFrom("array", "object"), fc.integer({ min: 50, max: 50_000 }))
  .map(([shape, depth]) => (shape === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "{}" + "}".repeat(depth)));

/** Optional fields: plausible values, wrong types, random JSON, huge strings, deep nesting. */
const otherFields: Record<string, fc.Arbitrary<string>> = {
  groups: fc.oneof(fc.array(fc.string({ maxLength: 70 }), { maxLength: 40 }).map(raw), wrongTypeRaw, fc.constant('"x"')),
  tags: fc.oneof(fc.dictionary(fc.string({ maxLength: 140 }), fc.string({ maxLength: 20 }), { maxKeys: 70 }).map(raw), wrongTypeRaw, fc.constant("[1]")),
  meta: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 5 }).map(raw), wrongTypeRaw),
  anchor_mode: fc.oneof(
    fc.constantFrom('"ANCHOR_MODE_PER_EVENT"', '"ANCHOR_MODE_BOGUS"', '"anchor_mode_per_event"', "2", "99", "-1", "2.5", "4294967296", '"2"'),
    wrongTypeRaw,
  ),
  profile_id: fc.oneof(fc.string({ maxLength: 70 }).map(raw), wrongTypeRaw),
  gateway_id: fc.oneof(fc.uuid().map(raw), fc.string({ maxLength: 40 }).map(raw), wrongTypeRaw),
  firmware: fc.oneof(fc.string({ maxLength: 20 }).map(raw), repeated(["f", "ü"], 129, 200_000).map(raw), wrongTypeRaw),
  sub_model: fc.oneof(fc.string({ maxLength: 20 }).map(raw), wrongTypeRaw),
  config: fc.oneof(
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }).map(raw),
    repeated(["x"], 64 * 1024, 300_000).map((s) => raw({ blob: s })),
    deepNesting.map((d) => `{"deep":${d}}`),
    deepNesting,
    wrongTypeRaw,
  ),
  is_gateway: fc.oneof(fc.boolean().map(raw), fc.constantFrom('"true"', "1", "0", '"yes"'), wrongTypeRaw),
  isGateway: fc.boolean().map(raw),
};
const knownKeys = new Set(["name", "hardware_id", "hardwareId", ...Object.keys(otherFields), "gatewayId", "profileId", "anchorMode", "subModel"]);
const unknownField = fc
  .tuple(
    fc.oneof(fc.constantFrom("tenant_id", "device_id", "api_key", "status", "Name", "hardware-id", "__proto__", ""), fc.string({ maxLength: 12 })),
    fc.oneof(fc.jsonValue({ maxDepth: 3 }).map(raw), fc.uuid().map(raw)),
  )
  .filter(([key]) => !knownKeys.has(key));

/** A JSON object with name or hardware_id (or both) broken, plus random other fields in random order. */
const brokenObject: fc.Arbitrary<{ kind: string; text: string }> = fc
  .tuple(
    fc.oneof(
      fc.tuple(brokenName, validHardwareId).map(([b, hw]) => ({ kind: b.kind, entries: [...b.entries, ["hardware_id", raw(hw)] as Entry] })),
      fc.tuple(validName, brokenHardwareId).map(([name, b]) => ({ kind: b.kind, entries: [["name", raw(name)] as Entry, ...b.entries] })),
      fc.tuple(brokenName, brokenHardwareId).map(([n, h]) => ({ kind: `${n.kind} + ${h.kind}`, entries: [...n.entries, ...h.entries] })),
    ),
    fc.subarray(Object.keys(otherFields)).chain((keys) => fc.tuple(...keys.map((k) => otherFields[k]!.map((v) => [k, v] as Entry)))),
    fc.array(unknownField, { maxLength: 2 }),
  )
  .chain(([required, optional, unknown]) => {
    const entries: Entry[] = [...required.entries, ...optional, ...unknown];
    const kind = `object: ${required.kind}${unknown.length > 0 ? " + unknown field" : ""}`;
    // Fields in random order: the broken one may come first, last or anywhere between.
    return fc
      .shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })
      .map((shuffled) => ({ kind, text: "{" + shuffled.map(([key, value]) => `${raw(key)}:${value}`).join(",") + "}" }));
  });

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0x80], // lone continuation byte
  [0xc0, 0x80], // overlong NUL
  [0xc3], // truncated 2-byte sequence
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xed, 0xa0, 0x80], // UTF-8-encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
];

const enc = new TextEncoder();
const splice = (bytes: Uint8Array, at: number, remove: number, insert: readonly number[]) =>
  Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at + remove)]);

/** Byte-level damage on top of a (broken) JSON text. */
const mutated = (base: fc.Arbitrary<{ kind: string; text: string }>): fc.Arbitrary<Malformed> =>
  fc
    .tuple(
      base,
      fc.constantFrom("as is", "truncated", "invalid UTF-8 inserted", "byte replaced", "wrapped in deep arrays", "trailing garbage"),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      fc.constantFrom(...INVALID_UTF8),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 1, max: 20_000 }),
    )
    .map(([{ kind, text }, how, where, badBytes, byte, depth]) => {
      const bytes = enc.encode(text);
      const at = Math.floor(where * bytes.length);
      switch (how) {
        case "truncated":
          return { kind: `${kind}, truncated`, bytes: bytes.subarray(0, at) };
        case "invalid UTF-8 inserted":
          return { kind: `${kind}, invalid UTF-8`, bytes: splice(bytes, at, 0, badBytes) };
        case "byte replaced":
          return { kind: `${kind}, byte replaced`, bytes: splice(bytes, at, 1, [byte]) };
        case "wrapped in deep arrays":
          return { kind: `${kind}, wrapped in deep arrays`, bytes: enc.encode("[".repeat(depth) + text + "]".repeat(depth)) };
        case "trailing garbage":
          return { kind: `${kind}, trailing garbage`, bytes: enc.encode(text + String.fromCharCode(33 + (byte % 90)) + "}") };
        default:
          return { kind, bytes };
      }
    });

/** Any JSON value that is not an object, as the whole body. */
const nonObjectBody: fc.Arbitrary<{ kind: string; text: string }> = fc.oneof(
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
    .map((v) => ({ kind: "non-object JSON", text: raw(v) })),
  fc
    .constantFrom("", " ", "\n\t", "{}", "[]", "null", "true", '""', "0", "-1e999", '"name"', "{,}", "{]", '{"name"}', "{'name':'x'}", "NaN", "undefined")
    .map((text) => ({
      kind: `literal ${JSON.stringify(text)}`,
      text,
    })),
  deepNesting.map((text) => ({ kind: "deep nesting", text })),
);

/** Random bytes as the whole body. */
const randomBytes: fc.Arbitrary<Malformed> = fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: "random bytes", bytes }));

/** Every body the generators build, before the safety net. */
const builtBody: fc.Arbitrary<Malformed> = fc.oneof(
  { weight: 6, arbitrary: mutated(brokenObject) },
  { weight: 2, arbitrary: mutated(nonObjectBody) },
  { weight: 1, arbitrary: randomBytes },
);
const malformedBody: fc.Arbitrary<Malformed> = builtBody.filter((body) => !couldRegister(body.bytes));

// ---- the test -----------------------------------------------------------------------------------

describe("RegisterDevice under malformed input", () => {
  let service: TestService;
  let token: string;
  let api: RestApi;

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    token = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  const rowCounts = () => registrationRowCounts(service.db.pool);

  const send = (path: string, bytes: Uint8Array) => api.call("POST", path, token, bytes);

  test("1,000+ malformed bodies over REST and Connect JSON: all 400 INVALID_ARGUMENT, none writes a row", async () => {
    const before = await rowCounts();
    let requests = 0;
    const kinds = new Set<string>();

    await fc.assert(
      fc.asyncProperty(fc.array(malformedBody, { minLength: BATCH, maxLength: BATCH }), async (bodies) => {
        const replies = await Promise.all(
          bodies.flatMap((body) => [
            send(REST_PATH, body.bytes).then((reply) => ({ endpoint: "REST", kind: body.kind, ...reply })),
            send(CONNECT_PATH, body.bytes).then((reply) => ({ endpoint: "Connect", kind: body.kind, ...reply })),
          ]),
        );
        requests += replies.length;
        for (const reply of replies) {
          kinds.add(reply.kind);
          const code = reply.endpoint === "REST" ? "INVALID_ARGUMENT" : "invalid_argument";
          // The label makes a failure say which body and endpoint it was.
          expect(reply).toEqual({
            endpoint: reply.endpoint,
            kind: reply.kind,
            status: 400,
            body: { code, message: expect.any(String) },
          });
        }
        expect(await rowCounts()).toEqual(before);
      }),
      { numRuns: RUNS },
    );

    expect(requests).toBeGreaterThanOrEqual(1000);
    expect(await rowCounts()).toEqual(before);
    // The generator really produced the advertised variety.
    const all = [...kinds].join("\n");
    for (const expected of [
      "name absent",
      "name wrong type",
      "name too long",
      "hardware_id with whitespace",
      "hardware_id wrong type",
      "truncated",
      "invalid UTF-8",
      "wrapped in deep arrays",
      "non-object JSON",
      "deep nesting",
      "random bytes",
      "unknown field",
    ]) {
      expect(all).toContain(expected);
    }
  }, 60_000);

  test.each([
    ["a number past a double", '{"k":1e400}', "config", "numbers must be finite (no NaN or Infinity)"],
    ["a negative number past a double", '{"k":[1,-1e400]}', "config", "numbers must be finite (no NaN or Infinity)"],
    ["a lone high surrogate", '{"k":"\\ud800"}', "config.k", "must be valid Unicode (no unpaired surrogate)"],
    ["a lone low surrogate in a key", '{"a\\udc00":1}', "config.a\udc00", "must be valid Unicode (no unpaired surrogate)"],
    ["a lone surrogate deep inside", '{"a":{"b":["x","\\udbff"]}}', "config.a.b[1]", "must be valid Unicode (no unpaired surrogate)"],
  ])("a config holding %s is INVALID_ARGUMENT naming config on both endpoints, nothing written", async (_label, config, restField, reason) => {
    const before = await rowCounts();
    const body = enc.encode(`{"name":"bad config","hardware_id":"HW-BAD-CONFIG","config":${config}}`);
    // REST names the exact place: it checks the JSON before the RPC's binary encoding would replace the surrogate.
    expect(await send(REST_PATH, body)).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: `${restField}: ${reason}` } });
    expect(await send(CONNECT_PATH, body)).toEqual({ status: 400, body: { code: "invalid_argument", message: `config: ${reason}` } });
    expect(await rowCounts()).toEqual(before);
  });

  test("a lone surrogate in a name or a tag is INVALID_ARGUMENT naming the field on both endpoints", async () => {
    const before = await rowCounts();
    for (const [json, field] of [
      ['{"name":"a\\ud800b","hardware_id":"HW-SURROGATE"}', "name"],
      ['{"name":"n","hardware_id":"HW-\\udfff"}', "hardware_id"],
      ['{"name":"n","hardware_id":"HW-SURROGATE","tags":{"k":"\\ud83d"}}', "tags"],
    ] as const) {
      // The JSON decoding of a string field refuses the string itself, naming the field.
      expect(await send(REST_PATH, enc.encode(json))).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: expect.stringContaining(field) } });
      expect(await send(CONNECT_PATH, enc.encode(json))).toEqual({ status: 400, body: { code: "invalid_argument", message: expect.stringContaining(field) } });
    }
    expect(await rowCounts()).toEqual(before);
  });

  test("the server still answers: a valid registration succeeds on both endpoints afterwards", async () => {
    const before = await rowCounts();
    for (const [path, hardwareId] of [
      [REST_PATH, "HW-AFTER-FUZZ-REST"],
      [CONNECT_PATH, "HW-AFTER-FUZZ-CONNECT"],
    ] as const) {
      const reply = await send(path, enc.encode(JSON.stringify({ name: "still alive", hardware_id: hardwareId })));
      expect(reply).toMatchObject({ status: 200, body: { hardware_id: hardwareId, status: "registered" } });
    }
    expect(await rowCounts()).toEqual({ devices: before.devices + 2, credentials: before.credentials + 2, outbox: before.outbox + 2 });
  });

  test("the safety net itself: it recognises a valid body and rejects broken ones", () => {
    expect(couldRegister(enc.encode('{"name":"n","hardware_id":"h"}'))).toBe(true);
    expect(couldRegister(enc.encode('{"name":"n","hardwareId":"h","x":1}'))).toBe(true);
    // Connect decodes invalid UTF-8 leniently: an empty name plus a stray byte is a valid name there.
    expect(couldRegister(Uint8Array.from([...enc.encode('{"name":"'), 0xff, ...enc.encode('","hardware_id":"h"}')]))).toBe(true);
    expect(couldRegister(enc.encode('{"name":"","hardware_id":"h"}'))).toBe(false);
    expect(couldRegister(enc.encode('{"name":"n","hardware_id":"h h"}'))).toBe(false);
    expect(couldRegister(enc.encode('{"name":"n","hardware_id":"h"'))).toBe(false);
    expect(couldRegister(enc.encode('[{"name":"n","hardware_id":"h"}]'))).toBe(false);
    fc.assert(
      fc.property(brokenObject, ({ text }) => !couldRegister(enc.encode(text))),
      { numRuns: 300 },
    );
    // The net is a net: the bodies are invalid by construction, and it drops almost none of them.
    const samples = fc.sample(builtBody, { numRuns: 1000, seed: 20240229 });
    const dropped = samples.filter((body) => couldRegister(body.bytes));
    expect(dropped.length).toBeLessThan(samples.length / 100);
    for (const body of dropped) expect(body.kind).toMatch(/invalid UTF-8|byte replaced/);
  });
});
