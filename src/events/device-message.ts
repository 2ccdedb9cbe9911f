import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeviceSchema, type Device as DeviceMessage } from "../../gen/deviceregistry/v1/device_pb.js";
import { etagOf, type Device } from "../domain/device.js";

/** A stored device as the proto message, without a credential: what events carry, and the API's base. */
export function deviceMessage(device: Device): DeviceMessage {
  return create(DeviceSchema, {
    deviceId: device.deviceId,
    tenantId: device.tenantId,
    name: device.name,
    hardwareId: device.hardwareId,
    status: device.status,
    groups: device.groups,
    tags: device.tags,
    anchorMode: device.anchorMode,
    profileId: device.profileId ?? "",
    gatewayId: device.gatewayId ?? "",
    firmware: device.firmware,
    meta: device.meta,
    ...(device.config === null ? {} : { config: device.config }),
    subModel: device.subModel,
    isGateway: device.isGateway,
    createdAt: timestampFromDate(device.createdAt),
    updatedAt: timestampFromDate(device.updatedAt),
    etag: etagOf(device),
    hubId: device.hub.id,
    hubUrl: device.hub.hubUrl,
    hubUrlStaticCert: device.hub.hubUrlStaticCert,
    mqttHubUrl: device.hub.mqttHubUrl,
  });
}
