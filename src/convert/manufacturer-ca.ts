import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ManufacturerCaSchema, type ManufacturerCa as ManufacturerCaMessage } from "../../gen/deviceregistry/v1/manufacturer_ca_pb.js";
import { etagOf } from "../domain/device.js";
import type { ManufacturerCa, ManufacturerCaSettings } from "../domain/manufacturer-ca.js";

/** The settings of a CA message, not yet validated; `enabled` unset means true. */
export function caMessageToSettings(message: ManufacturerCaMessage): ManufacturerCaSettings {
  return {
    enabled: message.enabled ?? true,
    hardwareIdSource: message.hardwareIdSource,
    profileId: message.profileId === "" ? null : message.profileId,
    groups: message.groups,
    tags: message.tags,
  };
}

/** A stored CA as the API message. */
export function caToMessage(ca: ManufacturerCa): ManufacturerCaMessage {
  return create(ManufacturerCaSchema, {
    caId: ca.caId,
    tenantId: ca.tenantId,
    certificatePem: ca.certificatePem,
    subject: ca.subject,
    fingerprint: ca.fingerprint.toString("hex"),
    notBefore: timestampFromDate(ca.notBefore),
    notAfter: timestampFromDate(ca.notAfter),
    enabled: ca.enabled,
    hardwareIdSource: ca.hardwareIdSource,
    profileId: ca.profileId ?? "",
    groups: ca.groups,
    tags: ca.tags,
    createdAt: timestampFromDate(ca.createdAt),
    updatedAt: timestampFromDate(ca.updatedAt),
    etag: etagOf(ca),
  });
}

/** A CA message with every field unset, for requests that omit it. */
export const emptyCa: ManufacturerCaMessage = create(ManufacturerCaSchema);
