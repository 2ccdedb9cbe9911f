import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { RegistrationMethod } from "../../gen/deviceregistry/v1/events_pb.js";
import type { DeviceIdentity } from "../db/credential-repository.js";
import type { DeviceRepository } from "../db/device-repository.js";
import { deviceRegistered } from "../events/device-events.js";
import type { DeviceService } from "./device-service.js";
import type { EntryResult } from "./entry-result.js";
import { AlreadyExistsError, hardwareIdTaken, InvalidArgumentError, PermissionDeniedError } from "./errors.js";
import * as v from "./validate.js";

/** Most children one call registers. */
const CHILDREN_MAX = 100;

/** A child as its gateway describes it. */
export interface ChildSpec {
  readonly hardwareId: string;
  readonly name: string;
  readonly firmware: string;
  readonly subModel: string;
  readonly meta: Readonly<Record<string, string>>;
}

/** The outcome for one child: its device, or why it has none. */
export type ChildResult = EntryResult<{ readonly deviceId: string }>;

/** Gateways registering the devices behind them. */
export class ChildService {
  constructor(
    private readonly devices: DeviceService,
    private readonly repository: DeviceRepository,
  ) {}

  /**
   * Registers each child under the authenticated gateway: a child already under it is returned
   * as it is, a hardware_id used elsewhere in the tenant is that child's ALREADY_EXISTS.
   */
  async register(gateway: DeviceIdentity, children: readonly ChildSpec[]): Promise<ChildResult[]> {
    if (!gateway.isGateway) throw new PermissionDeniedError("the device is not a gateway");
    if (children.length > CHILDREN_MAX) throw new InvalidArgumentError("children", `must have at most ${CHILDREN_MAX} entries`);
    const results: ChildResult[] = [];
    for (const [i, child] of children.entries()) results.push(await this.registerOne(gateway, child, `children[${i}].`));
    return results;
  }

  private async registerOne(gateway: DeviceIdentity, child: ChildSpec, prefix: string): Promise<ChildResult> {
    let hardwareId: string;
    let spec;
    try {
      hardwareId = v.hardwareId(`${prefix}hardware_id`, child.hardwareId);
      spec = {
        name: child.name === "" ? hardwareId : v.requireText(`${prefix}name`, child.name, v.limits.nameLength),
        hardwareId,
        groups: [],
        tags: {},
        anchorMode: AnchorMode.UNSPECIFIED,
        profileId: null,
        gatewayId: gateway.deviceId,
        firmware: v.optionalText(`${prefix}firmware`, child.firmware, v.limits.versionLength),
        meta: v.stringMap(`${prefix}meta`, child.meta),
        config: null,
        subModel: v.optionalText(`${prefix}sub_model`, child.subModel, v.limits.versionLength),
        isGateway: false,
      };
    } catch (err) {
      if (err instanceof InvalidArgumentError) return { hardwareId: child.hardwareId, error: err };
      throw err;
    }
    for (;;) {
      const existing = await this.repository.getByHardwareId(gateway.tenantId, hardwareId);
      if (existing?.gatewayId === gateway.deviceId) return { hardwareId, deviceId: existing.deviceId };
      if (existing) return { hardwareId, error: hardwareIdTaken(hardwareId) };
      const device = await this.devices.newDevice(gateway.tenantId, spec);
      try {
        if (await this.repository.insert(device, null, deviceRegistered(device, gateway.deviceId, RegistrationMethod.GATEWAY))) {
          return { hardwareId, deviceId: device.deviceId };
        }
      } catch (err) {
        // The hardware_id belongs to a pending import: that device claims itself.
        if (err instanceof AlreadyExistsError) return { hardwareId, error: err };
        throw err;
      }
      // Registered concurrently: look again to tell "already ours" from "someone else's".
    }
  }
}
