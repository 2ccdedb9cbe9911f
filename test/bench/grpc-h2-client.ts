import http2 from "node:http2";

/** The outcome of one gRPC call: its status and the reply's message bytes. */
export interface GrpcReply {
  readonly status: string;
  readonly message: Buffer;
}

/**
 * A minimal unary gRPC client on node:http2's core API, for loads whose request bodies are
 * encoded beforehand (a unique body per call): framing, one header object per call, nothing else,
 * so the load generator costs little CPU next to the server. Call `i` goes over connection i mod n.
 */
export class GrpcH2Client {
  private readonly sessions: http2.ClientHttp2Session[];

  constructor(
    baseUrl: string,
    connections: number,
    private readonly headers: Readonly<Record<string, string>>,
  ) {
    this.sessions = Array.from({ length: connections }, () => {
      const session = http2.connect(baseUrl, { settings: { initialWindowSize: 1 << 20 } });
      session.on("error", () => {});
      return session;
    });
  }

  /** Sends an enveloped request to `path`; resolves with grpc-status and the reply message. */
  call(index: number, path: string, envelope: Uint8Array): Promise<GrpcReply> {
    const session = this.sessions[index % this.sessions.length]!;
    return new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...this.headers });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      stream.on("response", (headers) => (status = headers["grpc-status"] as string | undefined));
      stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => {
        if (status === undefined) return reject(new Error(`stream closed without grpc-status (RST ${stream.rstCode})`));
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        resolve({ status, message: body.subarray(5) });
      });
      stream.end(envelope);
    });
  }

  close(): void {
    for (const session of this.sessions) session.close();
  }
}

/** A gRPC length-prefixed message. */
export function grpcEnvelope(message: Uint8Array): Buffer {
  const envelope = Buffer.alloc(5 + message.byteLength);
  envelope.writeUInt32BE(message.byteLength, 1);
  envelope.set(message, 5);
  return envelope;
}
