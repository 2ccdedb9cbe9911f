import { ConfigError, loadConfig } from "../../src/config.js";
import { parseHubList } from "../../src/domain/hub-pool.js";
import { nodeVersionProblem } from "../../src/node-version.js";
import { createCors } from "../../src/server/cors.js";

/** A response that records what CORS wrote. */
function recordingResponse() {
  const headers: Record<string, string> = {};
  const sent = { status: 0, body: "" };
  return {
    headers,
    sent,
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    writeHead: (status: number) => void (sent.status = status),
    end: (body: string) => void (sent.body = body),
  };
}

describe("settings an operator gets wrong", () => {
  test("CORS_ORIGINS takes origins as browsers send them, or * alone", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://app.example.test, http://localhost:5173,http://[::1]:8081" }).corsOrigins).toEqual([
      "https://app.example.test",
      "http://localhost:5173",
      "http://[::1]:8081",
    ]);
    expect(loadConfig({ CORS_ORIGINS: "*" }).corsOrigins).toEqual(["*"]);
    for (const bad of ["localhost:5173", "https://app.example.test/", "https://app.example.test/path", "ftp://files.test", "https://APP.example.test"]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
  });

  test("a hub entry missing a field names the field and the required ones; weight and region are optional", () => {
    const full = { id: "eu-1", hub_url: "https://eu.hubs.test", hub_url_static_cert: "https://static.eu.hubs.test", mqtt_hub_url: "mqtts://eu.hubs.test:8883" };
    expect(parseHubList(JSON.stringify([full]))).toEqual([
      { id: "eu-1", hubUrl: full.hub_url, hubUrlStaticCert: full.hub_url_static_cert, mqttHubUrl: full.mqtt_hub_url, weight: 1, region: null },
    ]);
    for (const field of ["id", "hub_url", "hub_url_static_cert", "mqtt_hub_url"] as const) {
      const { [field]: _missing, ...entry } = full;
      expect(() => parseHubList(JSON.stringify([full, entry]))).toThrow(
        new Error(`hub 1: ${field} is missing (every hub needs id, hub_url, hub_url_static_cert, mqtt_hub_url)`),
      );
    }
    expect(() => parseHubList(JSON.stringify([{ ...full, hub_url_static_cert: "static.eu.hubs.test" }]))).toThrow(
      new Error("hub 0: hub_url_static_cert must be a http:/https: URL"),
    );
  });

  test("the Node.js version check passes 24 and later and names the version needed otherwise", () => {
    expect(nodeVersionProblem("24.0.0")).toBeUndefined();
    expect(nodeVersionProblem("25.1.0")).toBeUndefined();
    expect(nodeVersionProblem("22.12.0")).toBe(
      "startup failed: the device registry needs Node.js 24 or later, this is Node.js 22.12.0 (npm ci installs it: run the service with npm start)",
    );
  });

  describe("CORS preflights", () => {
    const preflight = (origin: string, requestHeaders?: string) => ({
      method: "OPTIONS",
      url: "/api/v1/devices?page_size=1",
      headers: {
        origin,
        "access-control-request-method": "GET",
        ...(requestHeaders === undefined ? {} : { "access-control-request-headers": requestHeaders }),
      },
    });

    test("a listed origin may send the headers it asks for, such as traceparent, besides the service's own", () => {
      const cors = createCors(["https://app.example.test"]);
      const res = recordingResponse();
      expect(cors(preflight("https://app.example.test", "authorization, traceparent, tracestate, x-client-version"), res)).toBe(true);
      expect(res.sent.status).toBe(204);
      const allowed = res.headers["access-control-allow-headers"]!.toLowerCase().split(", ");
      for (const name of ["authorization", "content-type", "connect-protocol-version", "if-match", "traceparent", "tracestate", "x-client-version"]) {
        expect(allowed).toContain(name);
      }
    });

    test("malformed header names are not reflected", () => {
      const res = recordingResponse();
      createCors(["*"])(preflight("https://any.test", "traceparent, bad header, x-ok, a\u00e9"), res);
      const allowed = res.headers["access-control-allow-headers"]!.toLowerCase().split(", ");
      expect(allowed).toContain("traceparent");
      expect(allowed).toContain("x-ok");
      expect(allowed.filter((name) => name.includes(" ") || name.includes("\u00e9"))).toEqual([]);
    });

    test("an unlisted origin's preflight is answered 403 with a JSON reason, and reported", () => {
      const refused: unknown[] = [];
      const cors = createCors(["https://app.example.test"], (details) => refused.push(details));
      const res = recordingResponse();
      expect(cors(preflight("http://localhost:5173"), res)).toBe(true);
      expect(res.sent.status).toBe(403);
      expect(JSON.parse(res.sent.body)).toEqual({
        code: "PERMISSION_DENIED",
        message: 'CORS: origin "http://localhost:5173" is not allowed (not listed in CORS_ORIGINS)',
      });
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(refused).toEqual([{ origin: "http://localhost:5173", path: "/api/v1/devices" }]);
      // A plain request of an unlisted origin goes on, without CORS headers: the browser blocks it.
      const plain = recordingResponse();
      expect(cors({ method: "GET", url: "/api/v1/devices", headers: { origin: "http://localhost:5173" } }, plain)).toBe(false);
      expect(plain.headers).toEqual({});
    });
  });
});
