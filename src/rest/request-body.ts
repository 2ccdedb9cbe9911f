/**
 * Reading and parsing the JSON request body, bounded by readMaxBytes.
 *
 * A declared Content-Length above the limit is refused before reading anything; a body that
 * grows past the limit while streaming is refused as soon as it does, and the rest is not read
 * (the caller closes HTTP/1.1 connections after such a response).
 */
import type { Readable } from "node:stream";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { withHttpStatus } from "./rest-error.js";

/** The error for a body above the limit: RESOURCE_EXHAUSTED sent as HTTP 413. */
export function bodyTooLarge(maxBytes: number): ConnectError {
  return withHttpStatus(new ConnectError(`request body exceeds ${maxBytes} bytes`, Code.ResourceExhausted), 413);
}

/** Reads the whole body of `stream`, at most `maxBytes`; rejects with bodyTooLarge beyond that. */
export function readRequestBody(stream: Readable, contentLength: string | undefined, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (contentLength !== undefined && Number(contentLength) > maxBytes) {
      reject(bodyTooLarge(maxBytes));
      return;
    }
    if (stream.readableEnded) {
      reject(new ConnectError("request body was already consumed", Code.Internal));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: ConnectError | undefined): void => {
      stream.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      if (err === undefined) resolve(Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        stream.pause();
        finish(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new ConnectError("failed to read request body", Code.Canceled));
    const onClose = (): void => finish(new ConnectError("request closed before its body was read", Code.Canceled));
    stream.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** Parses a UTF-8 JSON body; undefined when it is empty; INVALID_ARGUMENT when malformed. */
export function parseJsonBody(bytes: Uint8Array): JsonValue | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ConnectError("request body is not valid UTF-8", Code.InvalidArgument);
  }
  if (text.trim() === "") {
    return undefined;
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ConnectError(`malformed JSON request body: ${detail}`, Code.InvalidArgument);
  }
}
