import net from "node:net";

/** One client over IPv4 and IPv6 sockets appears as 127.0.0.1 and ::ffff:127.0.0.1: count it once. */
export function normalizedAddress(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
}

/** Whether a TCP peer's address is one of `trustedProxies`. */
export function isTrustedProxy(address: string, trustedProxies: net.BlockList): boolean {
  const normalized = normalizedAddress(address);
  const family = net.isIP(normalized);
  return family !== 0 && trustedProxies.check(normalized, family === 4 ? "ipv4" : "ipv6");
}
