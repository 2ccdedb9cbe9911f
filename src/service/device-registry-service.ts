import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { callerOf } from "../auth/caller.js";
import { claimStateFilter, claimToMessage } from "../convert/claim.js";
import { deviceMessageToChanges, deviceToMessage, emptyDevice, listRequestToFilter, deviceSpecOf } from "../convert/device.js";
import { entryErrorToMessage } from "../convert/error-code.js";
import { emptyProfile, profileMessageToFields, profileToMessage } from "../convert/profile.js";
import type { Actor } from "../domain/device.js";
import type { DeviceService } from "../domain/device-service.js";
import type { ImportService } from "../domain/import-service.js";
import type { ProfileService } from "../domain/profile-service.js";
import { importEntryFromMessage, importResultToMessage } from "../convert/import.js";

/** What the DeviceRegistryService handlers call. */
export interface DeviceRegistryDeps {
  readonly devices: DeviceService;
  readonly imports: ImportService;
  readonly profiles: ProfileService;
}

/** The tenant and subject of the authenticated caller; the tenant never comes from the request. */
export function actorOf(context: HandlerContext): Actor {
  const caller = callerOf(context);
  return { tenantId: caller.tenantId, subject: caller.subject };
}

/** DeviceRegistryService: identify the caller, call the domain, convert. */
export function createDeviceRegistryService({ devices, imports, profiles }: DeviceRegistryDeps): ServiceImpl<typeof DeviceRegistryService> {
  return {
    async registerDevice(req, context) {
      const { device, credential } = await devices.register(actorOf(context), deviceSpecOf(req), req.csr);
      return deviceToMessage(device, credential);
    },
    async getDevice(req, context) {
      return deviceToMessage(await devices.get(actorOf(context), req.deviceId));
    },
    async listDevices(req, context) {
      const page = await devices.list(actorOf(context), listRequestToFilter(req), req.pageSize, req.pageToken);
      return { devices: page.devices.map((d) => deviceToMessage(d)), nextPageToken: page.next };
    },
    async updateDevice(req, context) {
      const changes = deviceMessageToChanges(req.device ?? emptyDevice);
      const device = await devices.update(actorOf(context), changes, req.updateMask?.paths ?? [], req.etag);
      return deviceToMessage(device);
    },
    async deleteDevice(req, context) {
      await devices.delete(actorOf(context), req.deviceId, req.revokeClaimKey);
      return {};
    },
    async rotateDeviceCredential(req, context) {
      const { device, credential } = await devices.rotateCredential(actorOf(context), req.deviceId, req.csr);
      return { deviceId: device.deviceId, ...credential };
    },
    async importDevices(req, context) {
      const results = await imports.import(actorOf(context), req.devices.map(importEntryFromMessage));
      return { results: results.map(importResultToMessage) };
    },
    async listDeviceClaims(req, context) {
      const page = await imports.listClaims(actorOf(context), claimStateFilter(req.state), req.pageSize, req.pageToken);
      return { claims: page.claims.map(claimToMessage), nextPageToken: page.next };
    },
    async revokeClaimKeys(req, context) {
      const results = await imports.revoke(actorOf(context), req.hardwareIds);
      return { results: results.map((r) => ("error" in r ? { hardwareId: r.hardwareId, error: entryErrorToMessage(r.error) } : { hardwareId: r.hardwareId })) };
    },
    async createDeviceProfile(req, context) {
      const message = req.profile;
      const profile = await profiles.create(actorOf(context), message?.profileId ?? "", profileMessageToFields(message ?? emptyProfile));
      return profileToMessage(profile);
    },
    async getDeviceProfile(req, context) {
      return profileToMessage(await profiles.get(actorOf(context), req.profileId));
    },
    async listDeviceProfiles(req, context) {
      const page = await profiles.list(actorOf(context), req.pageSize, req.pageToken);
      return { profiles: page.profiles.map(profileToMessage), nextPageToken: page.next };
    },
    async updateDeviceProfile(req, context) {
      const message = req.profile ?? emptyProfile;
      const mask = req.updateMask?.paths ?? [];
      const profile = await profiles.update(actorOf(context), message.profileId, profileMessageToFields(message), mask, req.etag);
      return profileToMessage(profile);
    },
    async deleteDeviceProfile(req, context) {
      await profiles.delete(actorOf(context), req.profileId);
      return {};
    },
  };
}
