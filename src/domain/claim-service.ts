import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import type { ClaimLookup, FoundClaim } from "../db/claim-lookup.js";
import type { StoredClaim } from "../db/claim-repository.js";
import type { Repositories } from "../db/store.js";
import { credentialRotated, deviceRegistered } from "../events/device-events.js";
import type { CredentialSecrets } from "./credential-issuer.js";
import type { DeviceService } from "./device-service.js";
import type { Device, DeviceProfile } from "./device.js";
import { AbortedError, notAuthorized, PermissionDeniedError, RateLimitedError } from "./errors.js";
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

/** How often a claim that lost a race to a concurrent change reads its key again before giving up. */
const MAX_ATTEMPTS = 5;

/** Devices bringing themselves online with the claim key of their import entry. */
export class ClaimService {
  constructor(
    private readonly devices: DeviceService,
    private readonly lookup: ClaimLookup,
    private readonly store: Pick<Repositories, "devices" | "claims">,
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
   *
   * Two statements, each batched with concurrent claims: one counts the attempt and reads the
   * key's claim, device and profile; one writes the device or the re-claim if nothing changed in
   * between. A claim that lost a race (the same key claimed at once elsewhere) reads again.
   */
  async claim(request: ClaimRequest, clientAddress: string): Promise<{ device: Device; credential: CredentialSecrets }> {
    // Every key costs one hash and one index lookup: a wrong key and an expired one look alike.
    const keyHash = hashSecret(request.claimKey);
    const counted = await this.lookup.countAndFind(clientAddress, keyHash);
    if (counted.retryAfterSeconds !== undefined) throw new RateLimitedError(counted.retryAfterSeconds);
    const hardwareId = v.hardwareId("hardware_id", request.hardwareId);
    const reported = reportedFields(request);
    let found: FoundClaim = counted;
    for (let attempt = 1; ; attempt++) {
      const { claim, own, profile } = found;
      const now = this.now();
      if (!claim || claim.expiresAt <= now) throw notAuthorized();
      if (claim.hardwareId !== hardwareId) throw new PermissionDeniedError("the claim key was issued for another hardware_id");
      const claimed = own ? await this.reclaim(claim, own, profile, request.csr, now) : await this.create(claim, profile, reported, request.csr);
      if (claimed) return claimed;
      if (attempt === MAX_ATTEMPTS) throw new AbortedError("the claim key is being used elsewhere at the same time; try again");
      found = await this.lookup.find(keyHash);
    }
  }

  /** The first claim: the device, its credential and device.registered; undefined when the claim changed meanwhile. */
  private async create(claim: StoredClaim, profile: DeviceProfile | undefined, reported: ReportedFields, csr: string): Promise<Claimed | undefined> {
    const device = this.devices.newDeviceOfProfile(claim.tenantId, specOf(claim, reported), profile);
    const credential = await this.devices.issueCredentialOfProfile(device, profile, csr, device.createdAt);
    const event = deviceRegistered(device, device.deviceId, RegistrationMethod.CLAIM);
    const inserted = await this.store.devices.insertClaimed({ claimId: claim.claimId, device, credential: credential.stored, event });
    return inserted ? { device, credential: credential.secrets } : undefined;
  }

  /** A re-claim of the claim's own device; undefined when the claim or the device changed meanwhile. */
  private async reclaim(claim: StoredClaim, own: Device, profile: DeviceProfile | undefined, csr: string, now: Date): Promise<Claimed | undefined> {
    const credential = await this.devices.issueCredentialOfProfile(own, profile, csr, now);
    const event = credentialRotated(own, own.deviceId, now, credential.type);
    const reclaimed = await this.store.claims.reclaim({ claimId: claim.claimId, device: own, credential: credential.stored, event });
    return reclaimed ? { device: own, credential: credential.secrets } : undefined;
  }
}

type Claimed = { device: Device; credential: CredentialSecrets };

/** The device an import entry describes, with what the device reported at boot winning. */
function specOf(claim: StoredClaim, reported: ReportedFields) {
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
