import type { ServiceImpl } from "@connectrpc/connect";
import type net from "node:net";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { entryErrorToMessage } from "../convert/error-code.js";
import type { ChildService } from "../domain/child-service.js";
import type { ClaimService } from "../domain/claim-service.js";
import type { DeviceAuthenticator } from "../domain/device-authenticator.js";
import { etagOf } from "../domain/device.js";
import type { DeviceService } from "../domain/device-service.js";
import { clientAddressOf } from "../server/client-address.js";
import { apiKeyOf } from "./device-credential.js";

/** What the device-facing calls use. */
export interface ProvisioningDeps {
  readonly claims: ClaimService;
  /** Proxies whose x-forwarded-for names the client address the claim limits count. */
  readonly trustedProxies: net.BlockList;
  readonly children: ChildService;
  readonly devices: DeviceService;
  readonly authenticator: DeviceAuthenticator;
}

/** DeviceProvisioningService: calls made by devices themselves, authenticated by their own secrets. */
export function createDeviceProvisioningService(deps: ProvisioningDeps): ServiceImpl<typeof DeviceProvisioningService> {
  return {
    async claimDevice(req, context) {
      const { device, credential } = await deps.claims.claim(req, clientAddressOf(context, deps.trustedProxies));
      return {
        deviceId: device.deviceId,
        ...credential,
        hubUrl: device.hub.hubUrl,
        hubUrlStaticCert: device.hub.hubUrlStaticCert,
        mqttHubUrl: device.hub.mqttHubUrl,
      };
    },
    async registerChildDevices(req, context) {
      const gateway = await deps.authenticator.authenticate(req.parentDeviceId, apiKeyOf(context));
      const results = await deps.children.register(gateway, req.children);
      return { results: results.map((r) => ("error" in r ? { hardwareId: r.hardwareId, error: entryErrorToMessage(r.error) } : r)) };
    },
    async getDeviceConfig(req, context) {
      const identity = await deps.authenticator.authenticate(req.deviceId, apiKeyOf(context));
      const device = await deps.devices.get({ tenantId: identity.tenantId, subject: identity.deviceId }, identity.deviceId);
      return { deviceId: device.deviceId, ...(device.config === null ? {} : { config: device.config }), etag: etagOf(device) };
    },
  };
}
