import type { ServiceImpl } from "@connectrpc/connect";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { callerOf } from "../auth/caller.js";
import { accessPolicy } from "../auth/policy.js";
import type { DeviceAuthenticator } from "../domain/device-authenticator.js";

/**
 * DeviceAuthService: hubs ask whether a device's credential (api_key or client certificate) is
 * good — for a device of the token's tenant, or of any tenant when the policy grants the caller
 * every tenant (platform_service).
 */
export function createDeviceAuthService(authenticator: DeviceAuthenticator): ServiceImpl<typeof DeviceAuthService> {
  return {
    async authenticateDevice(req, context) {
      const caller = callerOf(context);
      const tenant = accessPolicy.acrossTenants(caller, context.method) ? undefined : caller.tenantId;
      const { deviceId, tenantId, gatewayId, status, hubId, hubUrl } = await authenticator.authenticateAny(req.deviceId, req, tenant);
      return { deviceId, tenantId, gatewayId: gatewayId ?? "", status, hubId, hubUrl };
    },
  };
}
