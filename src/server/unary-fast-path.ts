import type { DescMessage, DescMethod, JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { compressionNegotiate, createMethodSerializationLookup, validateReadWriteMaxBytes, type MethodSerializationLookup } from "@connectrpc/connect/protocol";
import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { performance } from "node:perf_hooks";
import type { RequestLog } from "../observability/request-log.js";
import { runInRequest } from "../observability/request-context.js";
import { peerSocketValues } from "./client-address.js";
import { connectUnaryWire } from "./connect-unary-wire.js";
import { grpcUnaryWire } from "./grpc-unary-wire.js";
import { callEnded, type UnaryDispatch, type UnaryMethodSpec } from "../dispatch/unary-dispatch.js";
import type { UnaryOutcome, UnaryWire } from "./unary-wire.js";

type Serialization = MethodSerializationLookup<DescMessage, DescMessage>;

/** What the fast path is built from. */
export interface UnaryFastPathOptions {
  readonly dispatch: UnaryDispatch;
  /** The largest request body of each method, in bytes. */
  readonly maxBodyBytes: (method: DescMethod) => number;
  readonly jsonOptions: Partial<JsonReadOptions & JsonWriteOptions>;
  /** The CORS headers of a request (none for an origin not allowed). */
  readonly corsHeaders: (headers: http2.IncomingHttpHeaders) => Record<string, string> | undefined;
  readonly requestLog: RequestLog;
}

/** Serves a stream if it is a call the fast path answers; returns false, untouched, otherwise. */
export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

// The compressions connect-node accepts, negotiated the same way.
const compressions = [compressionGzip, compressionBrotli];

/**
 * Unary gRPC and Connect POST calls on node:http2's core API: the stream's body is read into one
 * message, the dispatch runs the interceptors and the implementation, and the response is written
 * in one go, byte for byte as connect-node would write it. Everything else (streaming methods,
 * gRPC-Web, Connect GET, JSON over gRPC, unknown paths) is left to connect-node.
 */
export function createUnaryFastPath(options: UnaryFastPathOptions): StreamHandler {
  // Each method reads at most its own body limit (the batch RPCs have a larger one).
  const perMethod = new Map<UnaryMethodSpec, MethodWires>();
  const wiresOf = (spec: UnaryMethodSpec): MethodWires => {
    let wires = perMethod.get(spec);
    if (wires === undefined) {
      const limits = validateReadWriteMaxBytes(options.maxBodyBytes(spec.method), undefined, undefined);
      wires = {
        serialization: createMethodSerializationLookup(spec.method, undefined, options.jsonOptions, limits),
        grpc: grpcUnaryWire(limits.readMaxBytes, limits.compressMinBytes),
        connectBinary: connectUnaryWire(true, limits.readMaxBytes, limits.compressMinBytes, options.jsonOptions),
        connectJson: connectUnaryWire(false, limits.readMaxBytes, limits.compressMinBytes, options.jsonOptions),
      };
      perMethod.set(spec, wires);
    }
    return wires;
  };

  return (stream, headers) => {
    if (headers[":method"] !== "POST") return false;
    const spec = options.dispatch.method(headers[":path"] ?? "");
    if (spec === undefined) return false;
    const wires = wiresOf(spec);
    const wire = wireOf(wires, headers["content-type"]);
    if (wire === undefined) return false;
    serve(stream, headers, spec, wire, wires.serialization, options);
    return true;
  };
}

/** A method's serialization and its wire formats, with the method's body limit. */
interface MethodWires {
  readonly serialization: Serialization;
  readonly grpc: UnaryWire;
  readonly connectBinary: UnaryWire;
  readonly connectJson: UnaryWire;
}

function wireOf(wires: MethodWires, contentType: string | undefined): UnaryWire | undefined {
  switch (contentType) {
    case "application/grpc":
    case "application/grpc+proto":
      return wires.grpc;
    case "application/proto":
      return wires.connectBinary;
    case "application/json":
      return wires.connectJson;
    default:
      return undefined;
  }
}

function serve(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  spec: UnaryMethodSpec,
  wire: UnaryWire,
  serialization: Serialization,
  options: UnaryFastPathOptions,
): void {
  const started = performance.now();
  const log = options.requestLog.begin(headers);
  let status = 200;
  stream.on("error", ignore); // a reset stream: the close below says what happened
  const request = new AbortController();
  let answered = false;
  stream.once("close", () => {
    if (!answered) request.abort(errorOfReset(stream.rstCode));
    options.requestLog.end(log, started, { httpMethod: "POST", url: headers[":path"], contentType: headers["content-type"], status });
  });
  const socket = stream.session?.socket;
  const timeout = wire.parseTimeout(header(headers, "grpc-timeout", "connect-timeout-ms", wire));
  const context = createHandlerContext({
    service: spec.method.parent,
    method: spec.method,
    protocolName: wire.protocolName,
    requestMethod: "POST",
    url: `${(socket as TLSSocket | undefined)?.encrypted ? "https" : "http"}://${headers[":authority"] ?? ""}${headers[":path"]}`,
    ...(timeout.timeoutMs !== undefined ? { timeoutMs: timeout.timeoutMs } : {}),
    requestSignal: request.signal,
    requestHeader: requestHeaders(headers),
    responseHeader: wire.responseHeader,
    responseTrailer: wire.responseTrailer,
    contextValues: peerSocketValues(socket),
  });
  const compression = compressionNegotiate(
    compressions,
    (headers[wire.encodingHeader] as string | undefined) ?? null,
    (headers[wire.acceptEncodingHeader] as string | undefined) ?? null,
    wire.acceptEncodingHeader,
  );
  if (wire.protocolName === "grpc" && compression.response) context.responseHeader.set("grpc-encoding", compression.response.name);
  const extraHeaders = { "x-request-id": log.requestId, ...options.corsHeaders(headers) };

  const respond = (outcome: UnaryOutcome) => {
    answered = true;
    status = wire.status(outcome);
    context.abort("error" in outcome ? outcome.error : callEnded);
    // Answered before the whole body was read (a refusal), the stream's unread rest is dropped and
    // the stream reset once the response has left (endUnreadBody, on every HTTP/2 stream).
    wire.respond(stream, context, extraHeaders, outcome, compression.response).catch(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  };

  runInRequest(log, async () => {
    try {
      const early = compression.error ?? timeout.error;
      if (early !== undefined) throw early;
      const bytes = await readMessage(stream, wire.framing(headers), compression.request);
      const input = parse(serialization, wire.binary, bytes);
      const output = await options.dispatch.call(spec, context, input);
      respond({ output: serialization.getO(wire.binary).serialize(output) });
    } catch (e) {
      if (!answered) respond({ error: ConnectError.from(e, Code.Internal) });
    }
  });
}

/** Reads the stream's body through `framing`; stops reading at the first refusal. */
function readMessage(
  stream: http2.ServerHttp2Stream,
  framing: ReturnType<UnaryWire["framing"]>,
  compression: Parameters<ReturnType<UnaryWire["framing"]>["message"]>[0],
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const refusal = framing.push(chunk);
      if (refusal === undefined) return;
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.pause();
      reject(refusal);
    };
    const onEnd = () => framing.message(compression).then(resolve, reject);
    stream.on("data", onData);
    stream.once("end", onEnd);
  });
}

/** Decodes the request message; a message that does not decode is the caller's error. */
function parse(serialization: Serialization, binary: boolean, bytes: Uint8Array) {
  try {
    return serialization.getI(binary).parse(bytes);
  } catch (e) {
    const error = ConnectError.from(e);
    throw error.code === Code.Internal ? new ConnectError(error.rawMessage, Code.InvalidArgument) : error;
  }
}

/** The request headers as a handler sees them: no pseudo-headers (createHandlerContext makes them Headers). */
function requestHeaders(headers: http2.IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[name];
    if (typeof value === "string") out.push([name, value]);
    else if (Array.isArray(value)) for (const v of value) out.push([name, v]);
  }
  return out;
}

function header(headers: http2.IncomingHttpHeaders, grpcName: string, connectName: string, wire: UnaryWire): string | null {
  const value = headers[wire.protocolName === "grpc" ? grpcName : connectName];
  return typeof value === "string" ? value : null;
}

/** The error a reset stream aborts the call with, as connect-node maps HTTP/2 error codes (none for NO_ERROR). */
function errorOfReset(rstCode: number): ConnectError | undefined {
  const known = resetCodes[rstCode];
  if (known === undefined) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${known[0]} (0x${rstCode.toString(16)})`, known[1]);
}

const resetCodes: Record<number, readonly [string, Code]> = {
  0x1: ["PROTOCOL_ERROR", Code.Internal],
  0x2: ["INTERNAL_ERROR", Code.Internal],
  0x3: ["FLOW_CONTROL_ERROR", Code.Internal],
  0x4: ["SETTINGS_TIMEOUT", Code.Internal],
  0x6: ["FRAME_SIZE_ERROR", Code.Internal],
  0x7: ["REFUSED_STREAM", Code.Unavailable],
  0x8: ["CANCEL", Code.Canceled],
  0x9: ["COMPRESSION_ERROR", Code.Internal],
  0xa: ["CONNECT_ERROR", Code.Internal],
  0xb: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  0xc: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  0xd: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};

function ignore(): void {}
