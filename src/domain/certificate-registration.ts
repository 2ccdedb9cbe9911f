import { randomUUID, X509Certificate } from "node:crypto";
import { AnchorMode, CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import { ManufacturerCa_HardwareIdSource as Source } from "../../gen/deviceregistry/v1/manufacturer_ca_pb.js";
import type { ManufacturerCaRepository } from "../db/manufacturer-ca-repository.js";
import type { Store } from "../db/store.js";
import { deviceRegistered } from "../events/device-events.js";
import { hardwareIdOf, isSignedClientCertificate, type HardwareIdSource } from "../pki/device-certificate.js";
import { certificateFingerprint } from "../pki/fingerprint.js";
import { credentialTypeOf, type CredentialSecrets } from "./credential-issuer.js";
import type { DeviceService } from "./device-service.js";
import type { Device } from "./device.js";
import { AbortedError, hardwareIdTaken, InvalidArgumentError, notAuthorized } from "./errors.js";
import type { ManufacturerCa } from "./manufacturer-ca.js";
import * as v from "./validate.js";
import { reportedFields, type ReportedFields } from "./validate-device.js";

/** What a device sends when it registers with its certificate. */
export interface CertificateRegistrationRequest extends ReportedFields {
  /** A PEM CSR for the certificate of ours the CA's profile may call for; "" for none. */
  readonly csr: string;
}

const sourceNames: Record<Source, HardwareIdSource> = {
  [Source.UNSPECIFIED]: "subject_cn",
  [Source.SUBJECT_CN]: "subject_cn",
  [Source.SAN_DNS]: "san_dns",
  [Source.SAN_URI]: "san_uri",
};

/** Just-in-time registration of devices presenting a certificate signed by a tenant's manufacturer CA. */
export class CertificateRegistration {
  constructor(
    private readonly devices: DeviceService,
    private readonly store: Store,
    private readonly cas: ManufacturerCaRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates the device `der` names in the tenant of the enabled CA that signed it, with the CA's
   * profile, groups and tags and device.registered; the certificate (its fingerprint) is its
   * credential; when the CA's profile calls for client certificates, one of ours is issued too
   * (returned once). The same certificate again returns the same device, writing nothing.
   * UNAUTHENTICATED "Not authorized", whatever the reason, unless the certificate is acceptable.
   */
  async register(
    der: Buffer | undefined,
    reported: CertificateRegistrationRequest,
  ): Promise<{ device: Device; created: boolean; credential?: CredentialSecrets }> {
    const now = this.now();
    const { certificate, ca, hardwareId } = await this.acceptable(der, now);
    const fields = reportedFields(reported);
    const fingerprint = certificateFingerprint(certificate.raw);
    return this.store.transaction(async (tx) => {
      const existing = await tx.devices.lockByHardwareId(ca.tenantId, hardwareId);
      if (existing) {
        if (await tx.credentials.holdsCertificate(existing.deviceId, fingerprint)) return { device: existing, created: false };
        throw hardwareIdTaken(hardwareId);
      }
      const device = await this.devices.newDevice(ca.tenantId, {
        name: "",
        hardwareId,
        groups: ca.groups,
        tags: ca.tags,
        anchorMode: AnchorMode.UNSPECIFIED,
        profileId: ca.profileId,
        gatewayId: null,
        config: null,
        isGateway: false,
        ...fields,
      });
      const profile = ca.profileId === null ? undefined : await this.store.profiles.get(ca.tenantId, ca.profileId);
      const ours = credentialTypeOf(profile) === CredentialType.CLIENT_CERTIFICATE ? await this.devices.issueCredential(device, reported.csr, now) : undefined;
      if (!ours && reported.csr.trim() !== "") throw new InvalidArgumentError("csr", "the CA's profile issues no certificate; a CSR does not apply");
      const event = deviceRegistered(device, device.deviceId, RegistrationMethod.CERTIFICATE);
      // Registered by hand or by a concurrent call since the lookup above: the device may simply retry.
      if (!(await tx.devices.insert(device, null, event))) throw new AbortedError("the device was registered concurrently; register again");
      const serial = certificate.serialNumber.toLowerCase();
      if (ours) await tx.credentials.replace(device.deviceId, ours.stored, now);
      await tx.credentials.insertManufacturerCredential(
        device.deviceId,
        { credentialId: randomUUID(), fingerprint, serial, notAfter: certificate.validToDate, caId: ca.caId },
        now,
      );
      return { device, created: true, ...(ours ? { credential: ours.secrets } : {}) };
    });
  }

  /** The certificate, the CA that signed it and the hardware_id it carries, or "Not authorized". */
  private async acceptable(der: Buffer | undefined, now: Date): Promise<{ certificate: X509Certificate; ca: ManufacturerCa; hardwareId: string }> {
    const denied = notAuthorized();
    let certificate: X509Certificate;
    try {
      if (der === undefined) throw denied;
      certificate = new X509Certificate(der);
    } catch {
      throw denied;
    }
    const candidates = await this.cas.enabledBySubject(certificate.issuer);
    const ca = candidates.find((c) => isSignedClientCertificate(certificate, new X509Certificate(c.certificatePem), now));
    if (!ca || (await this.store.credentials.isRevokedCertificate(certificateFingerprint(certificate.raw)))) throw denied;
    const hardwareId = hardwareIdOf(certificate, sourceNames[ca.hardwareIdSource]);
    try {
      return { certificate, ca, hardwareId: v.hardwareId("hardware_id", hardwareId ?? "") };
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw denied;
      throw err;
    }
  }
}
