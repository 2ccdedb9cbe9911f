import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag, encodeEnvelope } from "@connectrpc/connect/protocol";
import { grpcStatusOk, headerGrpcStatus, parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { percentEncodeGrpcMessage } from "./grpc-message-encoding.js";
import { nodeHeaders, type UnaryRequestFraming, type UnaryWire } from "./unary-wire.js";

const ENVELOPE_HEADER_BYTES = 5;

/**
 * Unary gRPC (application/grpc, application/grpc+proto): one enveloped message each way, the
 * status in trailers, grpc-message percent-encoded as the gRPC protocol specifies.
 */
export function grpcUnaryWire(readMaxBytes: number, compressMinBytes: number): UnaryWire {
  return {
    protocolName: "grpc",
    binary: true,
    responseHeader: { "content-type": "application/grpc+proto" },
    responseTrailer: { [headerGrpcStatus]: grpcStatusOk },
    encodingHeader: "grpc-encoding",
    acceptEncodingHeader: "grpc-accept-encoding",
    parseTimeout: (value) => parseTimeout(value, Number.MAX_SAFE_INTEGER),
    framing: () => envelopeFraming(readMaxBytes),
    status: () => 200,
    respond: async (stream, context, extraHeaders, outcome, compression) => {
      let body: Uint8Array | undefined;
      if ("output" in outcome) {
        const compress = compression !== null && outcome.output.byteLength >= compressMinBytes;
        const data = compress ? await compression.compress(outcome.output) : outcome.output;
        body = encodeEnvelope(compress ? compressedFlag : 0, data);
      } else {
        setTrailerStatus(context.responseTrailer, outcome.error);
        const message = outcome.error.rawMessage;
        context.responseTrailer.set("grpc-message", percentEncodeGrpcMessage(message));
      }
      if (stream.destroyed) return;
      const trailers = nodeHeaders(context.responseTrailer, {});
      stream.respond(nodeHeaders(context.responseHeader, { ":status": "200", ...extraHeaders }), { waitForTrailers: true });
      await new Promise<void>((resolve) => {
        stream.once("wantTrailers", () => {
          stream.sendTrailers(trailers);
          resolve();
        });
        stream.once("close", resolve);
        stream.end(body);
      });
    },
  };
}

/** Collects the one enveloped request message, refusing one over the limit at its first 5 bytes. */
function envelopeFraming(readMaxBytes: number): UnaryRequestFraming {
  const chunks: Buffer[] = [];
  let received = 0;
  let expected = -1;
  return {
    push(chunk) {
      chunks.push(chunk);
      received += chunk.byteLength;
      if (expected < 0 && received >= ENVELOPE_HEADER_BYTES) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        const length = head.readUInt32BE(1);
        if (length > readMaxBytes) {
          return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
        }
        expected = ENVELOPE_HEADER_BYTES + length;
      }
      if (expected >= 0 && received > expected) {
        return new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
      }
      return undefined;
    },
    async message(compression) {
      if (received === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
      if (received !== expected) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
      const envelope = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const data = envelope.subarray(ENVELOPE_HEADER_BYTES);
      if ((envelope[0]! & compressedFlag) === 0) return data;
      if (compression === null) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
      return compression.decompress(data, readMaxBytes);
    },
  };
}
