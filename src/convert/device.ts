import { create } from "@bufbuild/protobuf";
import { DeviceSchema, type Device as DeviceMessage } from "../../gen/deviceregistry/v1/device_pb.js";
import type { ListDevicesRequest, RegisterDeviceRequest } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import type { CredentialSecrets } from "../domain/credential-issuer.js";
import type { Device, DeviceChanges, DeviceFilterInput, DeviceSpec } from "../domain/device.js";
import { deviceMessage } from "../events/device-message.js";

/** The device fields of a RegisterDevice request, or of an UpdateDevice request's device, not yet validated. */
export function deviceSpecOf(req: RegisterDeviceRequest | DeviceMessage): DeviceSpec {
  return {
    name: req.name,
    hardwareId: req.hardwareId,
    groups: req.groups,
    tags: req.tags,
    anchorMode: req.anchorMode,
    profileId: req.profileId === "" ? null : req.profileId,
    gatewayId: req.gatewayId === "" ? null : req.gatewayId,
    firmware: req.firmware,
    meta: req.meta,
    config: req.config ?? null,
    subModel: req.subModel,
    isGateway: req.isGateway,
  };
}

/** A stored device as the API message; `credential` only in the response that issued it. */
export function deviceToMessage(device: Device, credential: CredentialSecrets = noCredential): DeviceMessage {
  const message = deviceMessage(device);
  message.apiKey = credential.apiKey;
  message.certificate = credential.certificate;
  message.privateKey = credential.privateKey;
  return message;
}

const noCredential: CredentialSecrets = { apiKey: "", certificate: "", privateKey: "" };

/** The new values of an UpdateDevice request's device, not yet validated. */
export function deviceMessageToChanges(message: DeviceMessage): DeviceChanges {
  return { ...deviceSpecOf(message), deviceId: message.deviceId, status: message.status };
}

/** The filters of a ListDevices request. */
export function listRequestToFilter(req: ListDevicesRequest): DeviceFilterInput {
  return {
    group: req.group,
    tag: req.tag,
    status: req.status,
    gatewayId: req.gatewayId,
    profileId: req.profileId,
    hardwareId: req.hardwareId,
  };
}

/** A device message with every field unset, for requests that omit the device. */
export const emptyDevice: DeviceMessage = create(DeviceSchema);
