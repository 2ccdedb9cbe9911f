import type { ConnectError, HandlerContext } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import type http2 from "node:http2";

/** The request side of a unary call as a protocol frames it. */
export interface UnaryRequestFraming {
  /**
   * Takes the next chunk of the request body; returns an error to answer at once, without reading
   * the rest (a body over the limit, a second message).
   */
  push(chunk: Buffer): ConnectError | undefined;
  /** The request message's bytes, decompressed, once the body has ended. */
  message(compression: Compression | null): Promise<Uint8Array>;
}

/** What a call answers: the output message's bytes, or an error. */
export type UnaryOutcome = { readonly output: Uint8Array } | { readonly error: ConnectError };

/** One unary protocol (gRPC, Connect) on node:http2's core API, framed as connect-es frames it. */
export interface UnaryWire {
  readonly protocolName: "grpc" | "connect";
  /** Whether the message is in the binary format (else JSON). */
  readonly binary: boolean;
  /** The context's initial response headers and trailers. */
  readonly responseHeader: Record<string, string>;
  readonly responseTrailer: Record<string, string>;
  /** The request headers that negotiate compression and the deadline. */
  readonly encodingHeader: string;
  readonly acceptEncodingHeader: string;
  parseTimeout(value: string | null): { timeoutMs?: number | undefined; error?: ConnectError | undefined };
  framing(headers: http2.IncomingHttpHeaders): UnaryRequestFraming;
  /** The HTTP status of the response to an outcome. */
  status(outcome: UnaryOutcome): number;
  /** Writes the whole response (the output message's bytes, or the error); resolves once it is sent. */
  respond(
    stream: http2.ServerHttp2Stream,
    context: HandlerContext,
    extraHeaders: Record<string, string>,
    outcome: UnaryOutcome,
    compression: Compression | null,
  ): Promise<void>;
}

/** Node's form of a Headers object, as connect-node writes it. */
export function nodeHeaders(headers: Headers, into: Record<string, string | string[]>): Record<string, string | string[]> {
  headers.forEach((value, name) => {
    const existing = into[name];
    into[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  });
  return into;
}
