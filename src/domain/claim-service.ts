import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import type { StoredClaim } from "../db/claim-repository.js";
import type { ClaimRateLimiter } from "../db/claim-rate-limiter.js";
import type { Store } from "../db/store.js";
import { credentialRotated, deviceRegistered } from "../events/device-events.js";
import type { CredentialSecrets } from "./credential-issuer.js";
import type { DeviceService } from "./device-service.js";
import type { Device } from "./device.js";
import { hardwareIdTaken, notAuthorized, PermissionDeniedError } from "./errors.js";
import { hashSecret } from "./secret.js";
import { reportedFields, type ReportedFields } from "./validate-device.js";
import * as v from "./validate.js";

/** What a device sends when it claims itself. */
export interface ClaimRequest extends ReportedFields {
  readonly claimKey: string;
  readonly hardwareId: string;
  /** A PEM CSR for a certificate device that keeps its own key; "" for none. */
  readonly csr: string;
}

/** Devices bringing themselves online with the claim key of their import entry. */
export class ClaimService {
  constructor(
    private readonly devices: DeviceService,
    private readonly store: Store,
    private readonly limiter: ClaimRateLimiter,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The first claim creates the device from its import entry and the profile's defaults and
   * writes device.registered; a later claim by the same device is a quiet re-claim: same device,
   * a fresh credential, the previous one revoked. A key only ever re-claims the device it created:
   * once that device is deleted the key creates a new one, and a hardware_id held by any other
   * device is ALREADY_EXISTS. The credential is an api_key or a client certificate, as the
   * device's profile says. Returns the device and its credential (only here). Every attempt
   * counts against the limits of `clientAddress` and of the key, before the key is looked at, so
   * guessing keys costs attempts whatever the answer.
   */
  async claim(request: ClaimRequest, clientAddress: string): Promise<{ device: Device; credential: CredentialSecrets }> {
    await this.limiter.consume(clientAddress, request.claimKey);
    const hardwareId = v.hardwareId("hardware_id", request.hardwareId);
    const reported = reportedFields(request);
    // Every key costs one hash and one index lookup: a wrong key and an expired one look alike.
    const keyHash = hashSecret(request.claimKey);
    return this.store.transaction(async (tx) => {
      const claim = await tx.claims.lockByKey(keyHash);
      const now = this.now();
      if (!claim || claim.expiresAt <= now) throw notAuthorized();
      if (claim.hardwareId !== hardwareId) throw new PermissionDeniedError("the claim key was issued for another hardware_id");
      // The foreign key of device_id keeps it naming the claim's own device, or NULL once that is deleted.
      const own = claim.deviceId === null ? undefined : await tx.devices.lock(claim.tenantId, claim.deviceId);
      if (own) {
        const credential = await this.devices.issueCredential(own, request.csr, now);
        await tx.credentials.replace(own.deviceId, credential.stored, now);
        await tx.outbox.insert([credentialRotated(own, own.deviceId, now, credential.type)]);
        return { device: own, credential: credential.secrets };
      }
      const device = await this.devices.newDevice(claim.tenantId, specOf(claim, reported));
      const credential = await this.devices.issueCredential(device, request.csr, now);
      const event = deviceRegistered(device, device.deviceId, RegistrationMethod.CLAIM);
      // Recorded first: the database then knows this insert is the claim's own (migration 0011).
      await tx.claims.setDevice(claim.claimId, device.deviceId);
      if (!(await tx.devices.insert(device, credential.stored, event))) {
        throw hardwareIdTaken(hardwareId);
      }
      return { device, credential: credential.secrets };
    });
  }
}

/** The device an import entry describes, with what the device reported at boot winning. */
function specOf(claim: StoredClaim, reported: ReturnType<typeof reportedFields>) {
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
