import type { JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { mergeNonProtocolHeaders } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, parseTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { nodeHeaders, type UnaryOutcome, type UnaryRequestFraming, type UnaryWire } from "./unary-wire.js";

/**
 * Connect unary POST (application/proto, application/json): the message is the body, trailers
 * travel as trailer- headers, errors as JSON with the code's HTTP status.
 */
export function connectUnaryWire(binary: boolean, readMaxBytes: number, compressMinBytes: number, jsonOptions: Partial<JsonWriteOptions>): UnaryWire {
  return {
    protocolName: "connect",
    binary,
    responseHeader: { "content-type": binary ? "application/proto" : "application/json" },
    responseTrailer: {},
    encodingHeader: "content-encoding",
    acceptEncodingHeader: "accept-encoding",
    parseTimeout: (value) => parseTimeout(value, Number.MAX_SAFE_INTEGER),
    framing: (headers) => bodyFraming(readMaxBytes, headers["content-length"]),
    status: statusOf,
    respond: async (stream, context, extraHeaders, outcome, compression) => {
      let body: Uint8Array;
      if ("output" in outcome) {
        body = outcome.output;
      } else {
        context.responseHeader.set("content-type", "application/json");
        if (!outcome.error.isWireError) mergeNonProtocolHeaders(context.responseHeader, outcome.error.metadata);
        body = errorToJsonBytes(outcome.error, jsonOptions);
      }
      if (compression !== null && body.byteLength >= compressMinBytes) {
        body = await compression.compress(body);
        context.responseHeader.set("content-encoding", compression.name);
      }
      if (stream.destroyed) return;
      const header = trailerMux(context.responseHeader, context.responseTrailer);
      header.set("content-length", String(body.byteLength));
      stream.respond(nodeHeaders(header, { ":status": String(statusOf(outcome)), ...extraHeaders }));
      await new Promise<void>((resolve) => {
        stream.once("close", resolve);
        stream.end(body, resolve);
      });
    },
  };
}

function statusOf(outcome: UnaryOutcome): number {
  return "error" in outcome ? codeToHttpStatus(outcome.error.code) : 200;
}

/** Collects the request body as connect-es reads it: a content-length over the limit is refused unread. */
function bodyFraming(readMaxBytes: number, contentLength: string | undefined): UnaryRequestFraming {
  const promised = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  let refusal: ConnectError | undefined;
  if (promised !== undefined && promised > readMaxBytes) {
    refusal = new ConnectError(`message size ${promised} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
  }
  return {
    push(chunk) {
      if (refusal !== undefined) return refusal;
      chunks.push(chunk);
      received += chunk.byteLength;
      if (promised !== undefined && received > promised) {
        return new ConnectError(`protocol error: promised ${promised} bytes, received ${received}`, Code.InvalidArgument);
      }
      if (received > readMaxBytes) return new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
      return undefined;
    },
    async message(compression) {
      if (refusal !== undefined) throw refusal;
      if (promised !== undefined && received < promised) {
        throw new ConnectError(`protocol error: promised ${promised} bytes, received ${received}`, Code.InvalidArgument);
      }
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      return compression === null ? bytes : compression.decompress(bytes, readMaxBytes);
    },
  };
}
