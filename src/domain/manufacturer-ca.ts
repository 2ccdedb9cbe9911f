import type { ManufacturerCa_HardwareIdSource } from "../../gen/deviceregistry/v1/manufacturer_ca_pb.js";

/** The fields of a manufacturer CA a tenant admin chooses (and may change later). */
export interface ManufacturerCaSettings {
  enabled: boolean;
  hardwareIdSource: ManufacturerCa_HardwareIdSource;
  profileId: string | null;
  groups: string[];
  tags: Record<string, string>;
}

/** A stored manufacturer CA of a tenant. */
export interface ManufacturerCa extends ManufacturerCaSettings {
  caId: string;
  tenantId: string;
  certificatePem: string;
  /** SHA-256 of the certificate's DER. */
  fingerprint: Buffer;
  /** As node:crypto prints it; the issuer of the device certificates it signs. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  updatedAt: Date;
  /** Incremented by every update; the etag is derived from it. */
  version: number;
}
