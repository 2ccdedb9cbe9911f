import { createBatcher } from "../db/batcher.js";
import type { CredentialLookup, CredentialRepository, DeviceIdentity } from "../db/credential-repository.js";
import { fingerprintOfPem, parseFingerprint } from "../pki/fingerprint.js";
import { notAuthorized } from "./errors.js";
import { hashSecret } from "./secret.js";
import { isUuid } from "./validate.js";

const API_KEY = /^sk_live_[A-Za-z0-9_-]{43}$/;
// A PEM certificate a hub forwards is a few kilobytes; anything far larger is not one.
const MAX_CERTIFICATE_CHARS = 16_384;

/** What a hub forwards of a device's credential: exactly one of the three is non-empty. */
export interface PresentedCredential {
  readonly apiKey: string;
  /** The client certificate (PEM) the device presented and the hub verified. */
  readonly certificate: string;
  /** Or that certificate's SHA-256 fingerprint in hex. */
  readonly certificateFingerprint: string;
}

/** Checks device credentials; every failure is the same "Not authorized", whatever its cause. */
export class DeviceAuthenticator {
  // Hubs ask at high rates: concurrent lookups share one query (see createBatcher).
  private readonly identityOf: (lookup: CredentialLookup) => Promise<DeviceIdentity | undefined>;

  constructor(credentials: CredentialRepository) {
    this.identityOf = createBatcher((lookups) => credentials.identities(lookups));
  }

  /** The identity of the device if `apiKey` is its live credential and it is not disabled. */
  async authenticate(deviceId: string, apiKey: string): Promise<DeviceIdentity> {
    return this.authenticateAny(deviceId, { apiKey, certificate: "", certificateFingerprint: "" });
  }

  /**
   * The identity of the device if the one credential presented is its live one, it is not
   * disabled and (when `tenantId` is given) it belongs to that tenant.
   */
  async authenticateAny(deviceId: string, presented: PresentedCredential, tenantId?: string): Promise<DeviceIdentity> {
    // Malformed input, and another tenant's device, get the same answer as a wrong credential:
    // nothing to learn from the difference.
    const lookup = isUuid(deviceId) ? lookupOf(presented) : undefined;
    const identity = lookup && (await this.identityOf({ deviceId, kind: lookup.kind, secretHash: lookup.hash }));
    if (!identity || (tenantId !== undefined && identity.tenantId !== tenantId)) throw notAuthorized();
    return identity;
  }
}

function lookupOf({ apiKey, certificate, certificateFingerprint }: PresentedCredential) {
  const given = [apiKey, certificate, certificateFingerprint].filter((c) => c !== "");
  if (given.length !== 1) return undefined;
  if (apiKey !== "") return API_KEY.test(apiKey) ? { kind: "api_key" as const, hash: hashSecret(apiKey) } : undefined;
  const fingerprint =
    certificate !== "" ? (certificate.length <= MAX_CERTIFICATE_CHARS ? fingerprintOfPem(certificate) : undefined) : parseFingerprint(certificateFingerprint);
  return fingerprint && { kind: "client_certificate" as const, hash: fingerprint };
}
