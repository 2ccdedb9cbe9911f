import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeviceClaim_State, DeviceClaimSchema, type DeviceClaim } from "../../gen/deviceregistry/v1/device_claim_pb.js";
import type { ClaimState, ListedClaim } from "../db/claim-repository.js";
import { InvalidArgumentError } from "../domain/errors.js";

const states: Record<ClaimState, DeviceClaim_State> = {
  pending: DeviceClaim_State.PENDING,
  claimed: DeviceClaim_State.CLAIMED,
  expired: DeviceClaim_State.EXPIRED,
};

/** A listed claim as the API message: never its key. */
export function claimToMessage(claim: ListedClaim): DeviceClaim {
  return create(DeviceClaimSchema, {
    hardwareId: claim.hardwareId,
    name: claim.name,
    profileId: claim.profileId ?? "",
    isGateway: claim.isGateway,
    state: states[claim.state],
    deviceId: claim.deviceId ?? "",
    createdAt: timestampFromDate(claim.createdAt),
    expiresAt: timestampFromDate(claim.expiresAt),
  });
}

/** The state filter of ListDeviceClaims: undefined for every state. */
export function claimStateFilter(state: DeviceClaim_State): ClaimState | undefined {
  if (state === DeviceClaim_State.UNSPECIFIED) return undefined;
  const found = (Object.keys(states) as ClaimState[]).find((name) => states[name] === state);
  if (found === undefined) throw new InvalidArgumentError("state", `unknown state ${state}`);
  return found;
}
