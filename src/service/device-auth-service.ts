import type { ServiceImpl } from "@connectrpc/connect";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import type { DeviceAuthenticator } from "../domain/device-authenticator.js";

/** DeviceAuthService: hubs ask whether a device's credential (api_key or client certificate) is good. */
export function createDeviceAuthService(authenticator: DeviceAuthenticator): ServiceImpl<typeof DeviceAuthService> {
  return {
    async authenticateDevice(req) {
      const { deviceId, tenantId, gatewayId, status, hubId, hubUrl } = await authenticator.authenticateAny(req.deviceId, req);
      return { deviceId, tenantId, gatewayId: gatewayId ?? "", status, hubId, hubUrl };
    },
  };
}
