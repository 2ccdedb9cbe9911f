import { randomUUID } from "node:crypto";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import type { Repositories, Store } from "../db/store.js";
import { credentialRotated, deviceDeleted, deviceRegistered, deviceUpdated } from "../events/device-events.js";
import { applyProfile } from "./apply-profile.js";
import { assignHub, type Hub } from "./hub-pool.js";
import {
  isCurrentEtag,
  type Actor,
  type Device,
  type DeviceChanges,
  type DeviceCursor,
  type DeviceFilterInput,
  type DeviceProfile,
  type DeviceSpec,
} from "./device.js";
import { EtagMismatchError, FailedPreconditionError, hardwareIdTaken, InvalidArgumentError, NotFoundError } from "./errors.js";
import { pageSize, type PageTokens } from "./page-token.js";
import { credentialTypeOf, type CredentialIssuer, type CredentialSecrets, type IssuedCredential } from "./credential-issuer.js";
import { maskedFields, withMasked } from "./update-mask.js";
import { deviceFilter, deviceId, deviceStatus, validateSpec } from "./validate-device.js";
import * as v from "./validate.js";

/** Devices of a tenant: registration, lookup, listing, updates, deletion and credential rotation. */
export class DeviceService {
  constructor(
    private readonly store: Store,
    private readonly pageTokens: PageTokens,
    private readonly hubs: readonly Hub[],
    private readonly credentials: CredentialIssuer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Registers a device by hand: validates, applies the profile's defaults, and stores the device,
   * its new credential's hash (api_key or certificate, as the profile says; `csr` for a
   * certificate device that keeps its own key) and the device.registered event in one statement.
   * Returns the device and the credential, which exists nowhere else in clear.
   */
  async register(actor: Actor, request: DeviceSpec, csr: string): Promise<{ device: Device; credential: CredentialSecrets }> {
    const spec = validateSpec(request);
    if (spec.gatewayId !== null) {
      const gateway = await this.store.devices.get(actor.tenantId, spec.gatewayId);
      if (!gateway?.isGateway) {
        throw new InvalidArgumentError("gateway_id", `"${spec.gatewayId}" is not a gateway device of this tenant`);
      }
    }
    const device = await this.newDevice(actor.tenantId, spec);
    const credential = await this.issueCredential(device, csr, device.createdAt);
    const event = deviceRegistered(device, actor.subject, RegistrationMethod.MANUAL);
    if (!(await this.store.devices.insert(device, credential.stored, event))) {
      throw hardwareIdTaken(device.hardwareId);
    }
    return { device, credential: credential.secrets };
  }

  /**
   * A new credential for the device, of the type its profile calls for (api_key without one);
   * `csr` ("" for none) is verified first, so a bad one is INVALID_ARGUMENT before anything is written.
   */
  async issueCredential(device: Device, csr: string, now: Date): Promise<IssuedCredential> {
    const profile = device.profileId === null ? undefined : await this.store.profiles.get(device.tenantId, device.profileId);
    return this.issueCredentialOfProfile(device, profile, csr, now);
  }

  /** issueCredential for a device whose profile (undefined for none) the caller has read. */
  async issueCredentialOfProfile(device: Device, profile: DeviceProfile | undefined, csr: string, now: Date): Promise<IssuedCredential> {
    return this.credentials.issue(credentialTypeOf(profile), device, await this.credentials.csrKey(csr), now);
  }

  /**
   * A new device of the tenant from a validated spec, not yet stored: the profile's defaults
   * applied, an id and a hub assigned.
   */
  async newDevice(tenantId: string, spec: DeviceSpec): Promise<Device> {
    const profile = spec.profileId === null ? undefined : await this.store.profiles.get(tenantId, spec.profileId);
    if (spec.profileId !== null && !profile) {
      throw new InvalidArgumentError("profile_id", `profile "${spec.profileId}" does not exist in this tenant`);
    }
    return this.newDeviceOfProfile(tenantId, spec, profile);
  }

  /** newDevice for a spec whose profile (undefined for none) the caller has read. */
  newDeviceOfProfile(tenantId: string, spec: DeviceSpec, profile: DeviceProfile | undefined): Device {
    const merged = applyProfile(spec, profile);
    if (profile) {
      v.stringMap("tags (with the profile's defaults)", merged.tags);
      v.stringMap("meta (with the profile's defaults)", merged.meta);
    }
    const id = randomUUID();
    const hub = assignHub(this.hubs, id, merged.tags["region"]);
    const now = this.now();
    return {
      ...merged,
      deviceId: id,
      hub: hub ? { id: hub.id, hubUrl: hub.hubUrl, hubUrlStaticCert: hub.hubUrlStaticCert, mqttHubUrl: hub.mqttHubUrl } : noHub,
      tenantId,
      status: "registered",
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
  }

  /** The device, or NotFoundError (also for another tenant's device). */
  async get(actor: Actor, id: string): Promise<Device> {
    const device = await this.store.devices.get(actor.tenantId, deviceId("device_id", id));
    if (!device) throw notFound(id);
    return device;
  }

  /** One page of the tenant's devices matching the filters, oldest first, and the next page's token. */
  async list(actor: Actor, filters: DeviceFilterInput, requestedSize: number, pageToken: string): Promise<{ devices: Device[]; next: string }> {
    const filter = deviceFilter(filters);
    const size = pageSize(requestedSize);
    // The token is bound to the filters: a token of another listing is refused, not misapplied.
    const filterKey = JSON.stringify(filter);
    const cursor = pageToken === "" ? null : cursorOf(this.pageTokens.decode(actor.tenantId, "devices", pageToken, filterKey));
    const rows = await this.store.devices.list(actor.tenantId, filter, cursor, size + 1);
    const page = this.pageTokens.page(actor.tenantId, "devices", rows, size, (last) => ({ c: last.createdAt.toISOString(), d: last.deviceId }), filterKey);
    return { devices: page.items, next: page.next };
  }

  /**
   * Changes the fields named in `mask` (with an etag, only if it is still current) and writes
   * device.updated with the previous and new state, in one transaction.
   */
  async update(actor: Actor, changes: DeviceChanges, mask: readonly string[], etag: string): Promise<Device> {
    const id = deviceId("device.device_id", changes.deviceId);
    const keys = maskedFields(mask, updatable, ["hardware_id"]);
    return this.store.transaction(async (tx) => {
      if (keys.includes("gatewayId")) await tx.devices.lockTenantGateways(actor.tenantId);
      const current = await tx.devices.lock(actor.tenantId, id);
      if (!current) throw notFound(id);
      if (etag !== "" && !isCurrentEtag(etag, current)) throw new EtagMismatchError(`etag ${etag} is not current: the device changed`);
      const next = withMasked(current, keys, changes, this.now());
      Object.assign(next, validateSpec(next, "device."), { status: deviceStatus("device.status", next.status) });
      if (keys.includes("profileId") && next.profileId !== null && !(await this.store.profiles.get(actor.tenantId, next.profileId))) {
        throw new InvalidArgumentError("device.profile_id", `profile "${next.profileId}" does not exist in this tenant`);
      }
      if (keys.includes("gatewayId") && next.gatewayId !== null) await this.checkGateway(tx, actor.tenantId, id, next.gatewayId);
      const stored = await tx.devices.write(next);
      await tx.outbox.insert([deviceUpdated(stored, current, mask, actor.subject)]);
      return stored;
    });
  }

  /**
   * Deletes the device, its credentials and every device below it, writing device.deleted for each;
   * with `revokeClaimKeys`, their claim keys too, so that none of them can claim a new device.
   */
  async delete(actor: Actor, id: string, revokeClaimKeys = false): Promise<void> {
    const target = deviceId("device_id", id);
    await this.store.transaction(async (tx) => {
      const [device, ...children] = await tx.devices.deleteTree(actor.tenantId, target);
      if (!device) throw notFound(id);
      if (revokeClaimKeys)
        await tx.claims.delete(
          actor.tenantId,
          [device, ...children].map((d) => d.hardwareId),
        );
      const now = this.now();
      const events = [deviceDeleted(device, actor.subject, now), ...children.map((c) => deviceDeleted(c, actor.subject, now, device.deviceId))];
      await tx.outbox.insert(events);
    });
  }

  /**
   * Issues a new credential of the type the device's profile calls for now and revokes the old one
   * in one transaction; the credential is returned only here. A child its gateway registered has
   * none to rotate while it stays under a gateway; one detached from it gets its first here.
   */
  async rotateCredential(actor: Actor, id: string, csr: string): Promise<{ device: Device; credential: CredentialSecrets }> {
    const target = deviceId("device_id", id);
    return this.store.transaction(async (tx) => {
      const device = await tx.devices.lock(actor.tenantId, target);
      if (!device) throw notFound(id);
      if (device.gatewayId !== null && !(await tx.credentials.hasHadCredential(device.deviceId))) {
        throw new FailedPreconditionError(`device "${device.deviceId}" connects through its gateway and holds no credential of its own`);
      }
      const now = this.now();
      const credential = await this.issueCredential(device, csr, now);
      await tx.credentials.replace(device.deviceId, credential.stored, now);
      await tx.outbox.insert([credentialRotated(device, actor.subject, now, credential.type)]);
      return { device, credential: credential.secrets };
    });
  }

  /** A gateway_id must name a gateway of the tenant that is neither the device nor below it. */
  private async checkGateway(tx: Repositories, tenantId: string, id: string, gatewayId: string): Promise<void> {
    const gateway = await tx.devices.lock(tenantId, gatewayId);
    if (!gateway?.isGateway) throw new InvalidArgumentError("device.gateway_id", `"${gatewayId}" is not a gateway device of this tenant`);
    if (await tx.devices.isSelfOrAncestor(tenantId, gatewayId, id)) {
      throw new InvalidArgumentError("device.gateway_id", `"${gatewayId}" is this device or one of its children`);
    }
  }
}

const noHub = { id: "", hubUrl: "", hubUrlStaticCert: "", mqttHubUrl: "" };

/** update_mask paths of UpdateDevice, by proto field name. */
const updatable: Record<string, keyof DeviceSpec | "status"> = {
  name: "name",
  groups: "groups",
  tags: "tags",
  anchor_mode: "anchorMode",
  profile_id: "profileId",
  gateway_id: "gatewayId",
  firmware: "firmware",
  meta: "meta",
  config: "config",
  sub_model: "subModel",
  status: "status",
};

function cursorOf(position: Record<string, string>): DeviceCursor {
  const createdAt = new Date(position["c"] ?? "");
  const id = position["d"] ?? "";
  if (Number.isNaN(createdAt.getTime()) || !v.isUuid(id)) {
    throw new InvalidArgumentError("page_token", "is not a token returned by this method");
  }
  return { createdAt, deviceId: id };
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`device "${id}" not found`);
}
