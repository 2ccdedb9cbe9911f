import http2 from "node:http2";
import zlib from "node:zlib";

/** Everything a client sees of one HTTP/2 response. */
export interface Http2Exchange {
  readonly headers: Record<string, string | string[]>;
  readonly trailers: Record<string, string | string[]>;
  /** Whether the response headers ended the stream (a trailers-only response). */
  readonly endedWithHeaders: boolean;
  readonly body: Buffer;
  /** The RST_STREAM code the stream closed with (0 for none). */
  readonly rstCode: number;
}

/** One HTTP/2 connection of a test, sending raw requests and returning what came back. */
export interface Http2Client {
  send(path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Http2Exchange>;
  readonly session: http2.ClientHttp2Session;
  close(): void;
}

export function connectHttp2(baseUrl: string, options: http2.SecureClientSessionOptions = {}): Http2Client {
  const session = http2.connect(baseUrl, options);
  session.on("error", () => {});
  return {
    session,
    send: (path, headers, body) =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": path, ...headers });
        const chunks: Buffer[] = [];
        let response: Record<string, string | string[]> = {};
        let trailers: Record<string, string | string[]> = {};
        let endedWithHeaders = false;
        stream.on("response", (h, flags) => {
          response = plain(h);
          endedWithHeaders = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        });
        stream.on("trailers", (t) => (trailers = plain(t)));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("close", () => resolve({ headers: response, trailers, endedWithHeaders, body: Buffer.concat(chunks), rstCode: stream.rstCode ?? 0 }));
        stream.end(body === undefined ? undefined : Buffer.from(body));
      }),
    close: () => session.close(),
  };
}

/** A gRPC length-prefixed message; gzip-compressed (flag 1) when asked. */
export function grpcEnvelope(message: Uint8Array, gzip = false): Buffer {
  const data = gzip ? zlib.gzipSync(message) : Buffer.from(message);
  const head = Buffer.alloc(5);
  head.writeUInt8(gzip ? 1 : 0, 0);
  head.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([head, data]);
}

/** The message of a gRPC response body (one envelope), decompressed when flagged. */
export function grpcMessageOf(body: Buffer): Buffer | undefined {
  if (body.byteLength < 5) return undefined;
  const data = body.subarray(5, 5 + body.readUInt32BE(1));
  return body[0] === 1 ? zlib.gunzipSync(data) : data;
}

function plain(headers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = typeof value === "number" ? String(value) : value;
  return out;
}
