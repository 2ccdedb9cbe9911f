import { AnchorMode, CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";
import type { ProfileRepository } from "../db/profile-repository.js";
import { isCurrentEtag, type Actor, type DeviceProfile } from "./device.js";
import { AlreadyExistsError, EtagMismatchError, NotFoundError } from "./errors.js";
import { pageSize, type PageTokens } from "./page-token.js";
import { maskedFields, retryLostUpdates, withMasked } from "./update-mask.js";
import * as v from "./validate.js";

/** The fields of a profile a caller may set. */
export type ProfileFields = Pick<DeviceProfile, "displayName" | "groups" | "tags" | "anchorMode" | "firmware" | "meta" | "config" | "credentialType">;

/** update_mask paths of UpdateDeviceProfile, by proto field name. */
const updatable: Record<string, keyof ProfileFields> = {
  display_name: "displayName",
  groups: "groups",
  tags: "tags",
  anchor_mode: "anchorMode",
  firmware: "firmware",
  meta: "meta",
  config: "config",
  credential_type: "credentialType",
};

/** Tenant-scoped device profiles. */
export class ProfileService {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly pageTokens: PageTokens,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a profile with a caller-chosen id. */
  async create(actor: Actor, profileId: string, fields: ProfileFields): Promise<DeviceProfile> {
    const now = this.now();
    const profile: DeviceProfile = {
      ...validateFields(fields),
      profileId: v.profileId("profile.profile_id", profileId),
      tenantId: actor.tenantId,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    if (!(await this.profiles.insert(profile))) {
      throw new AlreadyExistsError(`profile "${profileId}" already exists in this tenant`);
    }
    return profile;
  }

  /** The profile, or NotFoundError. */
  async get(actor: Actor, profileId: string): Promise<DeviceProfile> {
    const profile = await this.profiles.get(actor.tenantId, v.profileId("profile_id", profileId));
    if (!profile) throw new NotFoundError(`profile "${profileId}" not found`);
    return profile;
  }

  /** One page of profiles ordered by id, and the token of the next page ("" on the last). */
  async list(actor: Actor, requestedSize: number, pageToken: string): Promise<{ profiles: DeviceProfile[]; next: string }> {
    const size = pageSize(requestedSize);
    const after = pageToken === "" ? "" : this.pageTokens.decode(actor.tenantId, "profiles", pageToken).after;
    const rows = await this.profiles.list(actor.tenantId, after, size + 1);
    const page = this.pageTokens.page(actor.tenantId, "profiles", rows, size, (last) => ({ after: last.profileId }));
    return { profiles: page.items, next: page.next };
  }

  /** Changes the fields named in `mask`; with an etag, only if it is still current. */
  async update(actor: Actor, profileId: string, fields: ProfileFields, mask: readonly string[], etag: string): Promise<DeviceProfile> {
    const keys = maskedFields(mask, updatable);
    const changes = validateFields(fields);
    const attempt = async () => {
      const current = await this.get(actor, profileId);
      if (etag !== "" && !isCurrentEtag(etag, current)) throw new EtagMismatchError(`etag ${etag} is not current`);
      return this.profiles.update(withMasked(current, keys, changes, this.now()), current.version);
    };
    return retryLostUpdates(etag, attempt, () => new EtagMismatchError(`profile "${profileId}" was changed concurrently`));
  }

  /** Deletes a profile no device uses. */
  async delete(actor: Actor, profileId: string): Promise<void> {
    if (!(await this.profiles.delete(actor.tenantId, v.profileId("profile_id", profileId)))) {
      throw new NotFoundError(`profile "${profileId}" not found`);
    }
  }
}

const anchorModes = Object.values(AnchorMode).filter((m) => typeof m === "number");
const credentialTypes = [CredentialType.UNSPECIFIED, CredentialType.API_KEY, CredentialType.CLIENT_CERTIFICATE];

function validateFields(fields: ProfileFields): ProfileFields {
  return {
    displayName: v.optionalText("profile.display_name", fields.displayName, v.limits.nameLength),
    groups: v.groups("profile.groups", fields.groups),
    tags: v.stringMap("profile.tags", fields.tags),
    anchorMode: v.enumValue("profile.anchor_mode", fields.anchorMode, anchorModes),
    firmware: v.optionalText("profile.firmware", fields.firmware, v.limits.versionLength),
    meta: v.stringMap("profile.meta", fields.meta),
    config: v.config("profile.config", fields.config),
    credentialType: v.enumValue("profile.credential_type", fields.credentialType, credentialTypes),
  };
}
