import type { X509Certificate } from "node:crypto";
import { x509 } from "./x509.js";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** Where a device certificate carries the hardware_id (ManufacturerCa.HardwareIdSource). */
export type HardwareIdSource = "subject_cn" | "san_dns" | "san_uri";

/**
 * Whether `device` is a client certificate `ca` signed that is valid at `now`: issued by the CA
 * (names and signature), within both certificates' validity, not a CA itself, with the clientAuth
 * extended key usage.
 */
export function isSignedClientCertificate(device: X509Certificate, ca: X509Certificate, now: Date): boolean {
  const valid = (c: X509Certificate) => c.validFromDate <= now && now < c.validToDate;
  return !device.ca && valid(device) && valid(ca) && (device.keyUsage ?? []).includes(CLIENT_AUTH) && device.checkIssued(ca) && device.verify(ca.publicKey);
}

/** The hardware_id a device certificate carries at `source`, or undefined when it carries none there. */
export function hardwareIdOf(device: X509Certificate, source: HardwareIdSource): string | undefined {
  const parsed = new x509.X509Certificate(device.raw);
  if (source === "subject_cn") return parsed.subjectName.getField("CN")[0];
  const type = source === "san_dns" ? "dns" : "url";
  return parsed.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.find((name) => name.type === type)?.value;
}
