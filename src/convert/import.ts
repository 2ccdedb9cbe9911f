import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ImportDeviceResultSchema, type ImportDeviceEntry, type ImportDeviceResult } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import type { ImportEntry, ImportResult } from "../domain/import-service.js";
import { entryErrorToMessage } from "./error-code.js";

/** An ImportDevices entry, not yet validated. */
export function importEntryFromMessage(entry: ImportDeviceEntry): ImportEntry {
  return {
    hardwareId: entry.hardwareId,
    name: entry.name,
    groups: entry.groups,
    tags: entry.tags,
    profileId: entry.profileId,
    subModel: entry.subModel,
    meta: entry.meta,
    config: entry.config ?? null,
    isGateway: entry.isGateway,
  };
}

/** One entry's outcome as the API message. */
export function importResultToMessage(result: ImportResult): ImportDeviceResult {
  return "error" in result
    ? create(ImportDeviceResultSchema, { hardwareId: result.hardwareId, error: entryErrorToMessage(result.error) })
    : create(ImportDeviceResultSchema, {
        hardwareId: result.hardwareId,
        claimKey: result.claimKey,
        expiresAt: timestampFromDate(result.expiresAt),
      });
}
