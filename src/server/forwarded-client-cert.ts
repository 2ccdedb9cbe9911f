import { X509Certificate } from "node:crypto";

// A forwarded PEM certificate, URL-encoded, is a few kilobytes; anything far larger is not one.
const MAX_HEADER_CHARS = 65_536;

/**
 * The DER of the client certificate in an X-Forwarded-Client-Cert header as Envoy writes it:
 * comma-separated elements, one per proxy, of `key=value` pairs separated by ';', values optionally
 * in double quotes, `Cert` holding the URL-encoded PEM. The last element is the one the nearest
 * proxy added, about the client it terminated TLS for. Undefined when it carries no certificate.
 */
export function forwardedClientCertificate(header: string | null): Buffer | undefined {
  if (header === null || header.length > MAX_HEADER_CHARS) return undefined;
  const elements = splitOutsideQuotes(header, ",");
  const pairs = splitOutsideQuotes(elements[elements.length - 1] ?? "", ";");
  const cert = pairs.map((pair) => pair.trim()).find((pair) => pair.slice(0, 5).toLowerCase() === "cert=");
  if (cert === undefined) return undefined;
  try {
    return new X509Certificate(decodeURIComponent(unquoted(cert.slice(5)))).raw;
  } catch {
    return undefined;
  }
}

/** `text` split at each `separator` that is not inside double quotes (where \" escapes a quote). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquoted(value: string): string {
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
}
