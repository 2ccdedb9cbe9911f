import type { ServiceImpl } from "@connectrpc/connect";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import type { DeviceAuthenticator } from "../domain/device-authenticator.js";

/** DeviceAuthService: hubs ask whether a device's credential is good. */
export function createDeviceAuthService(authenticator: DeviceAuthenticator): ServiceImpl<typeof DeviceAuthService> {
  return {
    async authenticateDevice(req) {
      const { deviceId, tenantId, gatewayId, status, hubId, hubUrl } = await authenticator.authenticate(req.deviceId, req.apiKey);
      return { deviceId, tenantId, gatewayId: gatewayId ?? "", status, hubId, hubUrl };
    },
  };
}
