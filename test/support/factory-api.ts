import { create, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { DeviceSchema } from "../../gen/deviceregistry/v1/device_pb.js";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "./grpc-js-client.js";

/** A call's outcome: the response as proto JSON (field names as on REST), or the error's code and message. */
export type Outcome = { ok: Record<string, any> } | { error: { code: string; message: string } };

/** The response of a call that must have succeeded. */
export function ok(outcome: Outcome): Record<string, any> {
  if (!("ok" in outcome)) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome.ok;
}

/**
 * The calls of the factory flow (admin and device side) over one transport, answers normalised
 * to proto JSON so one test runs unchanged over REST and gRPC.
 */
export interface FactoryApi {
  importOne(hardwareId: string, profileId: string, isGateway?: boolean): Promise<Outcome>;
  claim(claimKey: string, hardwareId: string): Promise<Outcome>;
  registerChildren(parentId: string, apiKey: string, hardwareIds: string[]): Promise<Outcome>;
  config(deviceId: string, apiKey: string): Promise<Outcome>;
  getDevice(deviceId: string): Promise<Outcome>;
  rotate(deviceId: string): Promise<Outcome>;
  deleteDevice(deviceId: string): Promise<Outcome>;
  /** RegisterDevice by hand, as an admin. */
  registerDevice(hardwareId: string): Promise<Outcome>;
  /** One page (up to 1000) of ListDeviceClaims. */
  listClaims(): Promise<Outcome>;
  revokeClaimKey(hardwareId: string): Promise<Outcome>;
  close(): void;
}

const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, NOT_FOUND: 404, ALREADY_EXISTS: 409, RESOURCE_EXHAUSTED: 429 };

/** The flow over the REST mapping with fetch; an error's HTTP status must be its code's. */
export function restFactoryApi(baseUrl: string, adminToken: string): FactoryApi {
  async function call(method: string, path: string, authorization: string, body?: unknown): Promise<Outcome> {
    const headers = { "content-type": "application/json", authorization };
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as Record<string, any>;
    if (res.status === 200) return { ok: json };
    if (res.status !== HTTP_STATUS[json["code"]]) throw new Error(`HTTP ${res.status} for ${JSON.stringify(json)}`);
    return { error: { code: json["code"], message: json["message"] } };
  }
  const admin = `Bearer ${adminToken}`;
  return {
    importOne: (hardwareId, profileId, isGateway = false) =>
      call("POST", "/api/v1/devices:import", admin, { devices: [{ hardware_id: hardwareId, profile_id: profileId, is_gateway: isGateway }] }),
    claim: (claimKey, hardwareId) => call("POST", "/api/v1/devices:claim", "", { claim_key: claimKey, hardware_id: hardwareId }),
    registerChildren: (parentId, apiKey, ids) =>
      call("POST", `/api/v1/devices/${parentId}/children`, apiKey, { children: ids.map((id) => ({ hardware_id: id })) }),
    config: (deviceId, apiKey) => call("GET", `/api/v1/devices/${deviceId}/config`, apiKey),
    getDevice: (deviceId) => call("GET", `/api/v1/devices/${deviceId}`, admin),
    rotate: (deviceId) => call("POST", `/api/v1/devices/${deviceId}:rotateCredential`, admin, {}),
    deleteDevice: (deviceId) => call("DELETE", `/api/v1/devices/${deviceId}`, admin),
    registerDevice: (hardwareId) => call("POST", "/api/v1/devices", admin, { name: hardwareId, hardware_id: hardwareId }),
    listClaims: () => call("GET", "/api/v1/deviceClaims?page_size=1000", admin),
    revokeClaimKey: (hardwareId) => call("POST", "/api/v1/devices:revokeClaimKeys", admin, { hardware_ids: [hardwareId] }),
    close: () => undefined,
  };
}

/** The flow over gRPC with @grpc/grpc-js clients of the generated services. */
export function grpcFactoryApi(address: string, adminToken: string): FactoryApi {
  const registry = createGrpcJsClient(DeviceRegistryService, address);
  const provisioning = createGrpcJsClient(DeviceProvisioningService, address);
  const admin = { authorization: `Bearer ${adminToken}` };
  async function outcome<O extends DescMessage>(schema: O, call: Promise<MessageShape<O>>): Promise<Outcome> {
    try {
      return { ok: toJson(schema, await call, { useProtoFieldName: true }) as Record<string, any> };
    } catch (err) {
      const e = err as ServiceError;
      if (typeof e.code !== "number") throw err;
      return { error: { code: GrpcStatus[e.code], message: e.details } };
    }
  }
  const r = DeviceRegistryService.method;
  const p = DeviceProvisioningService.method;
  return {
    importOne: (hardwareId, profileId, isGateway = false) =>
      outcome(
        r.importDevices.output,
        registry.call(r.importDevices, create(r.importDevices.input, { devices: [{ hardwareId, profileId, isGateway }] }), admin),
      ),
    claim: (claimKey, hardwareId) => outcome(p.claimDevice.output, provisioning.call(p.claimDevice, create(p.claimDevice.input, { claimKey, hardwareId }))),
    registerChildren: (parentId, apiKey, ids) =>
      outcome(
        p.registerChildDevices.output,
        provisioning.call(
          p.registerChildDevices,
          create(p.registerChildDevices.input, { parentDeviceId: parentId, children: ids.map((hardwareId) => ({ hardwareId })) }),
          { authorization: apiKey },
        ),
      ),
    config: (deviceId, apiKey) =>
      outcome(p.getDeviceConfig.output, provisioning.call(p.getDeviceConfig, create(p.getDeviceConfig.input, { deviceId }), { authorization: apiKey })),
    getDevice: (deviceId) => outcome(DeviceSchema, registry.call(r.getDevice, create(r.getDevice.input, { deviceId }), admin)),
    rotate: (deviceId) =>
      outcome(r.rotateDeviceCredential.output, registry.call(r.rotateDeviceCredential, create(r.rotateDeviceCredential.input, { deviceId }), admin)),
    deleteDevice: (deviceId) => outcome(r.deleteDevice.output, registry.call(r.deleteDevice, create(r.deleteDevice.input, { deviceId }), admin)),
    registerDevice: (hardwareId) =>
      outcome(r.registerDevice.output, registry.call(r.registerDevice, create(r.registerDevice.input, { name: hardwareId, hardwareId }), admin)),
    listClaims: () => outcome(r.listDeviceClaims.output, registry.call(r.listDeviceClaims, create(r.listDeviceClaims.input, { pageSize: 1000 }), admin)),
    revokeClaimKey: (hardwareId) =>
      outcome(r.revokeClaimKeys.output, registry.call(r.revokeClaimKeys, create(r.revokeClaimKeys.input, { hardwareIds: [hardwareId] }), admin)),
    close: () => {
      registry.close();
      provisioning.close();
    },
  };
}
