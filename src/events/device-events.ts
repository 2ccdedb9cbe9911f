import { create, toJsonString, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import type { CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";
import {
  DeviceCredentialRotatedEventSchema,
  DeviceDeletedEventSchema,
  DeviceRegisteredEventSchema,
  DeviceUpdatedEventSchema,
  type RegistrationMethod,
} from "../../gen/deviceregistry/v1/events_pb.js";
import type { OutboxEvent } from "../db/outbox-repository.js";
import type { Device } from "../domain/device.js";
import { deviceMessage } from "./device-message.js";

/** The outbox row of one event message about `device`. */
function outboxEvent<S extends DescMessage>(type: string, schema: S, init: MessageInitShape<S>, device: Device, at: Date): OutboxEvent {
  return {
    eventId: randomUUID(),
    type,
    tenantId: device.tenantId,
    subject: device.deviceId,
    payload: toJsonString(schema, create(schema, init), { useProtoFieldName: true }),
    occurredAt: at,
  };
}

/** "device.registered": a device was created. */
export function deviceRegistered(device: Device, actor: string, method: RegistrationMethod): OutboxEvent {
  const init = { device: deviceMessage(device), actor, method };
  return outboxEvent("device.registered", DeviceRegisteredEventSchema, init, device, device.createdAt);
}

/** "device.updated": the fields in `paths` changed from `previous` to `device`. */
export function deviceUpdated(device: Device, previous: Device, paths: readonly string[], actor: string): OutboxEvent {
  const init = {
    device: deviceMessage(device),
    previous: deviceMessage(previous),
    updateMask: create(FieldMaskSchema, { paths: [...paths] }),
    actor,
  };
  return outboxEvent("device.updated", DeviceUpdatedEventSchema, init, device, device.updatedAt);
}

/** "device.deleted": the device is gone; `gatewayId` when it went with its deleted gateway. */
export function deviceDeleted(device: Device, actor: string, at: Date, gatewayId = ""): OutboxEvent {
  const init = { device: deviceMessage(device), actor, deletedWithGatewayId: gatewayId };
  return outboxEvent("device.deleted", DeviceDeletedEventSchema, init, device, at);
}

/** "device.credential_rotated": a new credential of `credentialType` replaced the old one. */
export function credentialRotated(device: Device, actor: string, at: Date, credentialType: CredentialType): OutboxEvent {
  const init = { device: deviceMessage(device), actor, credentialType };
  return outboxEvent("device.credential_rotated", DeviceCredentialRotatedEventSchema, init, device, at);
}
