import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import net from "node:net";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Slow clients (slowloris) cannot hold connections: every connection has bounded header, body,
 * keep-alive and idle times, on HTTP/1.1 and HTTP/2. The service runs with small timeouts so the
 * waits stay short; each bound is checked with generous slack for a loaded machine.
 */
describe("slow clients", () => {
  const timeouts = { headersMs: 2_000, requestMs: 3_000, keepAliveMs: 1_000, idleMs: 2_000 };
  // A check happens at most every second; a loaded machine may add a few more.
  const SLACK_MS = 4_000;
  let service: TestService;
  let token: string;

  beforeAll(async () => {
    service = await startTestService({ httpTimeouts: timeouts });
    token = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  /** A raw TCP connection that records what the server sends and when it closes the connection. */
  function rawConnection(): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const start = Date.now();
      let text = "";
      const socket = net.connect(service.port, "127.0.0.1", () =>
        resolve({ socket, received: () => text, closed: new Promise((done) => socket.once("close", () => done(Date.now() - start))) }),
      );
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("error", () => undefined); // a reset is a close too
      socket.once("error", reject);
    });
  }

  /** Writes `text` one byte every `everyMs` until the connection closes. */
  function trickle(socket: net.Socket, text: string, everyMs: number): void {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) return clearInterval(timer);
      socket.write(text[i++]!);
    }, everyMs);
    socket.once("close", () => clearInterval(timer));
  }

  test("HTTP/1.1 headers sent one byte a second: 408, connection closed within the headers timeout", async () => {
    const { socket, received, closed } = await rawConnection();
    trickle(socket, `GET /api/v1/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`, 1_000);
    const after = await closed;
    expect(after).toBeLessThan(timeouts.headersMs + SLACK_MS);
    expect(received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
  }, 30_000);

  test("a connection that sends nothing is closed within the headers timeout", async () => {
    const { received, closed } = await rawConnection();
    expect(await closed).toBeLessThan(timeouts.headersMs + SLACK_MS);
    expect(received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
  }, 30_000);

  test("HTTP/1.1 body sent one byte every 200 ms: 408, connection closed within the request timeout", async () => {
    const { socket, received, closed } = await rawConnection();
    const body = JSON.stringify({ name: "slow", hardware_id: "HW-SLOW-H1", meta: { pad: "x".repeat(200) } });
    socket.write(
      `POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    trickle(socket, body, 200);
    const after = await closed;
    expect(after).toBeLessThan(timeouts.requestMs + SLACK_MS);
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
    // Nothing half-sent was registered.
    const { rows } = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-SLOW-H1'");
    expect(rows[0].n).toBe(0);
  }, 30_000);

  test("an idle HTTP/1.1 keep-alive connection is closed within the keep-alive timeout", async () => {
    const { socket, received, closed } = await rawConnection();
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const after = await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 200 [^]*\{"status":"SERVING"\}$/);
    expect(after).toBeLessThan(timeouts.keepAliveMs + SLACK_MS);
  }, 30_000);

  test("HTTP/2 body sent slowly: the stream is reset within the request timeout, the connection still serves", async () => {
    const session = http2.connect(service.baseUrl);
    try {
      const start = Date.now();
      const stream = session.request({ ":method": "POST", ":path": "/api/v1/devices", "content-type": "application/json", authorization: `Bearer ${token}` });
      const closed = new Promise<{ after: number; rstCode: number | undefined; status: unknown }>((resolve) => {
        let status: unknown;
        stream.on("response", (headers) => (status = headers[":status"]));
        stream.on("error", () => undefined);
        stream.resume();
        stream.once("close", () => resolve({ after: Date.now() - start, rstCode: stream.rstCode, status }));
      });
      const body = JSON.stringify({ name: "slow", hardware_id: "HW-SLOW-H2" });
      let i = 0;
      const timer = setInterval(() => (stream.closed || i >= body.length ? clearInterval(timer) : stream.write(body[i++]!)), 200);
      const result = await closed;
      clearInterval(timer);
      expect(result.after).toBeLessThan(timeouts.requestMs + SLACK_MS);
      expect(result.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
      expect(result.status).toBeUndefined();
      // Other streams of the connection are not affected.
      const healthy = await new Promise<unknown>((resolve, reject) => {
        const probe = session.request({ ":path": "/healthz" });
        probe.on("response", (headers) => resolve(headers[":status"]));
        probe.on("error", reject);
        probe.resume();
      });
      expect(healthy).toBe(200);
      const { rows } = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-SLOW-H2'");
      expect(rows[0].n).toBe(0);
    } finally {
      session.destroy();
    }
  }, 30_000);

  test("an HTTP/2 connection without streams gets GOAWAY and is closed within the idle timeout", async () => {
    const start = Date.now();
    const session = http2.connect(service.baseUrl);
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    const closed = new Promise<number>((resolve) => session.once("close", () => resolve(Date.now() - start)));
    session.on("error", () => undefined);
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(await closed).toBeLessThan(timeouts.idleMs + SLACK_MS);
  }, 30_000);

  test("an HTTP/2 connection with calls going on stays open past the idle timeout", async () => {
    const session = http2.connect(service.baseUrl);
    try {
      const get = () =>
        new Promise<unknown>((resolve, reject) => {
          const stream = session.request({ ":path": "/healthz" });
          stream.on("response", (headers) => resolve(headers[":status"]));
          stream.on("error", reject);
          stream.resume();
        });
      // A call every half second for longer than the idle timeout: never idle that long.
      for (let elapsed = 0; elapsed < timeouts.idleMs * 2; elapsed += 500) {
        expect(await get()).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(session.closed).toBe(false);
    } finally {
      session.destroy();
    }
  }, 30_000);
});
