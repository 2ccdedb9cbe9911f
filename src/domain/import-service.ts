import { randomUUID } from "node:crypto";
import type { ClaimState, ListedClaim, NewClaim } from "../db/claim-repository.js";
import type { Store } from "../db/store.js";
import type { Actor, JsonObject } from "./device.js";
import type { EntryResult } from "./entry-result.js";
import { AlreadyExistsError, hardwareIdTaken, InvalidArgumentError, NotFoundError, type DomainError } from "./errors.js";
import { pageSize, type PageTokens } from "./page-token.js";
import { issueClaimKey } from "./secret.js";
import * as v from "./validate.js";

/** Most entries one ImportDevices call takes. */
export const IMPORT_MAX_ENTRIES = 10_000;

/** One device to import, as requested. */
export interface ImportEntry {
  readonly hardwareId: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly profileId: string;
  readonly subModel: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly config: JsonObject | null;
  readonly isGateway: boolean;
}

/** The outcome of one entry: a claim key (returned only here) or an error. */
export type ImportResult = EntryResult<{ readonly claimKey: string; readonly expiresAt: Date }>;

/** The outcome of revoking one hardware_id's claim key: nothing, or an error. */
export type RevokeResult = EntryResult;

/** Bulk import of devices that will claim themselves with a claim key, their keys' state and revocation. */
export class ImportService {
  constructor(
    private readonly store: Store,
    private readonly pageTokens: PageTokens,
    private readonly claimKeyTtlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Validates each entry on its own and stores the good ones in one transaction. */
  async import(actor: Actor, entries: readonly ImportEntry[]): Promise<ImportResult[]> {
    if (entries.length === 0) throw new InvalidArgumentError("devices", "must have at least one entry");
    if (entries.length > IMPORT_MAX_ENTRIES) throw new InvalidArgumentError("devices", `must have at most ${IMPORT_MAX_ENTRIES} entries`);
    const seen = new Set<string>();
    const checked = entries.map((entry, i) => {
      try {
        const claim = validateEntry(entry, `devices[${i}].`);
        if (seen.has(claim.hardwareId))
          return refused(entry.hardwareId, new AlreadyExistsError(`hardware_id "${entry.hardwareId}" appears twice in this request`));
        seen.add(claim.hardwareId);
        return claim;
      } catch (err) {
        if (err instanceof InvalidArgumentError) return refused(entry.hardwareId, err);
        throw err;
      }
    });
    const wanted = [...new Set(checked.flatMap((c) => ("profileId" in c && c.profileId !== null ? [c.profileId] : [])))];
    const profiles = wanted.length > 0 ? await this.store.profiles.existing(actor.tenantId, wanted) : new Set<string>();
    const results = checked.map((c, i): PendingClaim | ImportResult => {
      if (!("claimId" in c)) return c;
      if (c.profileId !== null && !profiles.has(c.profileId)) {
        return refused(c.hardwareId, new InvalidArgumentError(`devices[${i}].profile_id`, `profile "${c.profileId}" does not exist in this tenant`));
      }
      return c;
    });
    const claims = results.filter((r): r is PendingClaim => "claimId" in r);
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + this.claimKeyTtlMs);
    const conflicts = claims.length > 0 ? await this.store.transaction((tx) => tx.claims.insert(actor.tenantId, claims, createdAt, expiresAt)) : new Map();
    return results.map((r) => {
      if (!("claimId" in r)) return r;
      const conflict = conflicts.get(r.hardwareId);
      if (conflict === "registered") return refused(r.hardwareId, hardwareIdTaken(r.hardwareId));
      if (conflict === "pending") return refused(r.hardwareId, new AlreadyExistsError(`hardware_id "${r.hardwareId}" already has a pending claim key`));
      return { hardwareId: r.hardwareId, claimKey: r.claimKey, expiresAt };
    });
  }

  /** One page of the tenant's imported devices by hardware_id, in `state` if given, and the next page's token. */
  async listClaims(actor: Actor, state: ClaimState | undefined, requestedSize: number, pageToken: string): Promise<{ claims: ListedClaim[]; next: string }> {
    const size = pageSize(requestedSize);
    // A token works only with the filter it was issued for.
    const filters = state ?? "all";
    const after = pageToken === "" ? "" : String(this.pageTokens.decode(actor.tenantId, "claims", pageToken, filters)["after"] ?? "");
    const rows = await this.store.claims.list(actor.tenantId, state, after, size + 1, this.now());
    const page = this.pageTokens.page(actor.tenantId, "claims", rows, size, (last) => ({ after: last.hardwareId }), filters);
    return { claims: page.items, next: page.next };
  }

  /**
   * Revokes the claim keys of these hardware_ids in one statement: each key stops working at once,
   * the hardware_id may be imported again, and a device a claim already created keeps its credential.
   */
  async revoke(actor: Actor, hardwareIds: readonly string[]): Promise<RevokeResult[]> {
    if (hardwareIds.length === 0) throw new InvalidArgumentError("hardware_ids", "must have at least one entry");
    if (hardwareIds.length > IMPORT_MAX_ENTRIES) throw new InvalidArgumentError("hardware_ids", `must have at most ${IMPORT_MAX_ENTRIES} entries`);
    const checked = hardwareIds.map((hardwareId, i): RevokeResult => {
      try {
        return { hardwareId: v.hardwareId(`hardware_ids[${i}]`, hardwareId) };
      } catch (err) {
        if (err instanceof InvalidArgumentError) return refused(hardwareId, err);
        throw err;
      }
    });
    const valid = checked.filter((r) => !("error" in r)).map((r) => r.hardwareId);
    const revoked = valid.length > 0 ? await this.store.claims.delete(actor.tenantId, valid) : new Set<string>();
    return checked.map((r) =>
      "error" in r || revoked.has(r.hardwareId) ? r : refused(r.hardwareId, new NotFoundError(`no claim key for hardware_id "${r.hardwareId}" in this tenant`)),
    );
  }
}

/** The entry of `hardwareId`, refused alone by `error`. */
function refused(hardwareId: string, error: DomainError): { readonly hardwareId: string; readonly error: DomainError } {
  return { hardwareId, error };
}

/** A validated entry with its claim key, before it is stored. */
type PendingClaim = NewClaim & { readonly claimKey: string };

function validateEntry(entry: ImportEntry, prefix: string): PendingClaim {
  const hardwareId = v.hardwareId(`${prefix}hardware_id`, entry.hardwareId);
  const key = issueClaimKey();
  return {
    claimId: randomUUID(),
    claimKey: key.secret,
    keyHash: key.hash,
    hardwareId,
    name: entry.name === "" ? hardwareId : v.requireText(`${prefix}name`, entry.name, v.limits.nameLength),
    groups: v.groups(`${prefix}groups`, entry.groups),
    tags: v.stringMap(`${prefix}tags`, entry.tags),
    profileId: entry.profileId === "" ? null : v.profileId(`${prefix}profile_id`, entry.profileId),
    subModel: v.optionalText(`${prefix}sub_model`, entry.subModel, v.limits.versionLength),
    meta: v.stringMap(`${prefix}meta`, entry.meta),
    config: v.config(`${prefix}config`, entry.config),
    isGateway: entry.isGateway,
  };
}
