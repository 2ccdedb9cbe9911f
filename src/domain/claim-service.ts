import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import { lockClaimByKey, setClaimDevice, type StoredClaim } from "../db/claim-repository.js";
import type { DeviceRepository } from "../db/device-repository.js";
import { lockDeviceByHardwareId, replaceCredential } from "../db/device-writes.js";
import { insertOutboxEvents } from "../db/outbox-repository.js";
import { credentialRotated, deviceRegistered } from "../events/device-events.js";
import type { CredentialSecrets } from "./credential-issuer.js";
import type { DeviceService } from "./device-service.js";
import type { Device } from "./device.js";
import { AbortedError, PermissionDeniedError, UnauthenticatedError } from "./errors.js";
import { hashSecret } from "./secret.js";
import * as v from "./validate.js";

/** What a device sends when it claims itself. */
export interface ClaimRequest {
  readonly claimKey: string;
  readonly hardwareId: string;
  readonly firmware: string;
  readonly subModel: string;
  readonly meta: Readonly<Record<string, string>>;
  /** A PEM CSR for a certificate device that keeps its own key; "" for none. */
  readonly csr: string;
}

/** Devices bringing themselves online with the claim key of their import entry. */
export class ClaimService {
  constructor(
    private readonly devices: DeviceService,
    private readonly repository: DeviceRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The first claim creates the device from its import entry and the profile's defaults and
   * writes device.registered; a later claim by the same device is a quiet re-claim: same device,
   * a fresh credential, the previous one revoked. The credential is an api_key or a client
   * certificate, as the device's profile says. Returns the device and its credential (only here).
   */
  async claim(request: ClaimRequest): Promise<{ device: Device; credential: CredentialSecrets }> {
    const hardwareId = v.hardwareId("hardware_id", request.hardwareId);
    const reported = {
      firmware: v.optionalText("firmware", request.firmware, v.limits.versionLength),
      subModel: v.optionalText("sub_model", request.subModel, v.limits.versionLength),
      meta: v.stringMap("meta", request.meta),
    };
    // Every key costs one hash and one index lookup: a wrong key and an expired one look alike.
    const keyHash = hashSecret(request.claimKey);
    return this.repository.transaction(async (client) => {
      const claim = await lockClaimByKey(client, keyHash);
      const now = this.now();
      if (!claim || claim.expiresAt <= now) throw new UnauthenticatedError("Not authorized");
      if (claim.hardwareId !== hardwareId) throw new PermissionDeniedError("the claim key was issued for another hardware_id");
      const existing = await lockDeviceByHardwareId(client, claim.tenantId, hardwareId);
      if (existing) {
        const credential = await this.devices.issueCredential(existing, request.csr, now);
        await replaceCredential(client, existing.deviceId, credential.stored, now);
        await insertOutboxEvents(client, [credentialRotated(existing, existing.deviceId, now, credential.type)]);
        if (claim.deviceId !== existing.deviceId) await setClaimDevice(client, claim.claimId, existing.deviceId);
        return { device: existing, credential: credential.secrets };
      }
      const device = await this.devices.newDevice(claim.tenantId, specOf(claim, reported));
      const credential = await this.devices.issueCredential(device, request.csr, now);
      const event = deviceRegistered(device, device.deviceId, RegistrationMethod.CLAIM);
      // The hardware_id was registered by hand since the lookup above: the device may simply retry.
      if (!(await this.repository.insert(device, credential.stored, event, client))) {
        throw new AbortedError("the device was registered concurrently; claim again");
      }
      await setClaimDevice(client, claim.claimId, device.deviceId);
      return { device, credential: credential.secrets };
    });
  }
}

/** The device an import entry describes, with what the device reported at boot winning. */
function specOf(claim: StoredClaim, reported: { firmware: string; subModel: string; meta: Record<string, string> }) {
  return {
    name: claim.name,
    hardwareId: claim.hardwareId,
    groups: [...claim.groups],
    tags: claim.tags,
    anchorMode: AnchorMode.UNSPECIFIED,
    profileId: claim.profileId,
    gatewayId: null,
    firmware: reported.firmware,
    meta: { ...claim.meta, ...reported.meta },
    config: claim.config,
    subModel: reported.subModel || claim.subModel,
    isGateway: claim.isGateway,
  };
}
