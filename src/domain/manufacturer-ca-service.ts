import { randomBytes, randomUUID } from "node:crypto";
import { ManufacturerCa_HardwareIdSource as HardwareIdSource } from "../../gen/deviceregistry/v1/manufacturer_ca_pb.js";
import type { ManufacturerCaRepository } from "../db/manufacturer-ca-repository.js";
import { checkCaCertificate, checkProofOfPossession } from "../pki/ca-certificate.js";
import { etagOf, type Actor } from "./device.js";
import { AlreadyExistsError, EtagMismatchError, InvalidArgumentError, NotFoundError } from "./errors.js";
import type { ManufacturerCa, ManufacturerCaSettings } from "./manufacturer-ca.js";
import { pageSize, type PageTokens } from "./page-token.js";
import { maskedFields, retryLostUpdates, withMasked } from "./update-mask.js";
import * as v from "./validate.js";

/** update_mask paths of UpdateManufacturerCa, by proto field name. */
const updatable: Record<string, keyof ManufacturerCaSettings> = {
  enabled: "enabled",
  hardware_id_source: "hardwareIdSource",
  profile_id: "profileId",
  groups: "groups",
  tags: "tags",
};

const sources = Object.values(HardwareIdSource).filter((s) => typeof s === "number");

/** Tenant-scoped manufacturer CAs, registered with proof that the caller holds the CA's key. */
export class ManufacturerCaService {
  constructor(
    private readonly cas: ManufacturerCaRepository,
    private readonly pageTokens: PageTokens,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The tenant's registration code, made on first use. */
  registrationCode(actor: Actor): Promise<string> {
    return this.cas.registrationCode(actor.tenantId, randomBytes(16).toString("hex"), this.now());
  }

  /** Registers a CA whose certificate passes the CA checks and whose key signed `verificationPem`. */
  async register(actor: Actor, certificatePem: string, settings: ManufacturerCaSettings, verificationPem: string): Promise<ManufacturerCa> {
    const now = this.now();
    const certificate = checkCaCertificate("ca.certificate_pem", certificatePem, now);
    const fields = validateSettings(settings);
    checkProofOfPossession("verification_certificate_pem", certificate, verificationPem, await this.registrationCode(actor));
    const ca: ManufacturerCa = {
      ...fields,
      caId: randomUUID(),
      tenantId: actor.tenantId,
      certificatePem: certificate.pem,
      fingerprint: certificate.fingerprint,
      subject: certificate.subject,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    // One tenant per CA: a device certificate must name exactly one tenant.
    if (!(await this.cas.insert(ca))) throw new AlreadyExistsError("this CA certificate is registered already");
    return ca;
  }

  /** The CA, or NotFoundError (also for another tenant's). */
  async get(actor: Actor, caId: string): Promise<ManufacturerCa> {
    const ca = await this.cas.get(actor.tenantId, validCaId("ca_id", caId));
    if (!ca) throw notFound(caId);
    return ca;
  }

  /** One page of the tenant's CAs, oldest first, and the token of the next page ("" on the last). */
  async list(actor: Actor, requestedSize: number, pageToken: string): Promise<{ cas: ManufacturerCa[]; next: string }> {
    const size = pageSize(requestedSize);
    const position = pageToken === "" ? undefined : this.pageTokens.decode(actor.tenantId, "manufacturer-cas", pageToken);
    const after = position && { createdAt: new Date(position["createdAt"] ?? ""), caId: position["caId"] ?? "" };
    const rows = await this.cas.list(actor.tenantId, after, size + 1);
    const page = this.pageTokens.page(actor.tenantId, "manufacturer-cas", rows, size, (last) => ({ createdAt: last.createdAt.toISOString(), caId: last.caId }));
    return { cas: page.items, next: page.next };
  }

  /** Changes the settings named in `mask`; with an etag, only if it is still current. */
  async update(actor: Actor, caId: string, settings: ManufacturerCaSettings, mask: readonly string[], etag: string): Promise<ManufacturerCa> {
    const keys = maskedFields(mask, updatable);
    const changes = validateSettings(settings);
    const attempt = async () => {
      const current = await this.get(actor, caId);
      if (etag !== "" && etag !== etagOf(current)) throw new EtagMismatchError(`etag ${etag} is not current`);
      return this.cas.update(withMasked(current, keys, changes, this.now()), current.version);
    };
    return retryLostUpdates(etag, attempt, () => new EtagMismatchError(`CA "${caId}" was changed concurrently`));
  }

  /** Deletes the CA; the certificates of the devices registered through it stop authenticating. */
  async delete(actor: Actor, caId: string): Promise<void> {
    if (!(await this.cas.delete(actor.tenantId, validCaId("ca_id", caId)))) throw notFound(caId);
  }
}

function validateSettings(settings: ManufacturerCaSettings): ManufacturerCaSettings {
  return {
    enabled: settings.enabled,
    hardwareIdSource: v.enumValue("ca.hardware_id_source", settings.hardwareIdSource, sources),
    profileId: settings.profileId === null ? null : v.profileId("ca.profile_id", settings.profileId),
    groups: v.groups("ca.groups", settings.groups),
    tags: v.stringMap("ca.tags", settings.tags),
  };
}

function validCaId(field: string, caId: string): string {
  if (!v.isUuid(caId)) throw new InvalidArgumentError(field, "must be a ca_id (UUID)");
  return caId.toLowerCase();
}

function notFound(caId: string): NotFoundError {
  return new NotFoundError(`manufacturer CA "${caId}" not found`);
}
