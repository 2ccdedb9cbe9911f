import type { NodeRequest, NodeResponse } from "../node-http.js";

type Headers = Record<string, unknown>;

/**
 * Sends gRPC's grpc-message encoded as the gRPC HTTP/2 protocol specifies: percent-encoding only
 * for bytes outside printable ASCII and for '%'. connect-es escapes it with encodeURIComponent,
 * which also escapes ':', ',', '/', ';' and the like, and @grpc/grpc-js decodes with decodeURI,
 * which leaves exactly those escaped: "hardware_id: is required" would reach grpc-js callers as
 * "hardware_id%3A is required". The message is written both ways in headers (trailers-only
 * responses) and trailers; gRPC-Web carries its trailers in the body and is left as it is.
 */
export function encodeGrpcMessageAsSpecified(req: NodeRequest, res: NodeResponse): void {
  const contentType = req.headers["content-type"] ?? "";
  if (!contentType.startsWith("application/grpc") || contentType.startsWith("application/grpc-web")) return;
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Headers) => NodeResponse;
  const addTrailers = res.addTrailers.bind(res) as (trailers: Headers) => void;
  Object.assign(res, {
    writeHead: (status: number, headers?: Headers) => writeHead(status, headers && reencoded(headers)),
    addTrailers: (trailers: Headers) => addTrailers(reencoded(trailers)),
  });
}

function reencoded(headers: Headers): Headers {
  const message = headers["grpc-message"];
  if (typeof message !== "string") return headers;
  let text: string;
  try {
    text = decodeURIComponent(message);
  } catch {
    return headers;
  }
  return { ...headers, "grpc-message": percentEncodeGrpcMessage(text) };
}

/** A grpc-message value: percent-encoding only for bytes outside printable ASCII and for '%'. */
export function percentEncodeGrpcMessage(text: string): string {
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8")) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}
