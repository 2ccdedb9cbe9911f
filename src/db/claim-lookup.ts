import type { Device, DeviceProfile } from "../domain/device.js";
import { createBatcher } from "./batcher.js";
import { claimFromRow, type StoredClaim } from "./claim-repository.js";
import { DEVICE_ROW_COLUMNS, deviceFromRow } from "./device-repository.js";
import { PROFILE_ROW_COLUMNS, profileFromRow } from "./profile-repository.js";
import type { Executor } from "./transaction.js";

/** Claim attempts allowed per window, per client address and per claim key. */
export interface ClaimRateLimits {
  readonly perAddress: { readonly points: number; readonly seconds: number };
  readonly perKey: { readonly points: number; readonly seconds: number };
}

/** A claim key as an attempt finds it: its import entry, the device its claim created, and the profile that applies. */
export interface FoundClaim {
  readonly claim: StoredClaim | undefined;
  /** The device the claim created, while it exists. */
  readonly own: Device | undefined;
  /** The own device's profile, else the import entry's. */
  readonly profile: DeviceProfile | undefined;
}

/** A counted attempt: what it found, and the seconds to wait when a limit is spent. */
export interface CountedAttempt extends FoundClaim {
  readonly retryAfterSeconds: number | undefined;
}

// The claim (c.*), its device (d_*) and the profile that applies (p_*) of each attempt's key hash.
const FOUND_COLUMNS = `c.*, ${DEVICE_ROW_COLUMNS.map((c) => `d.${c} AS d_${c}`).join(", ")}, ${PROFILE_ROW_COLUMNS.map((c) => `p.${c} AS p_${c}`).join(", ")}`;
const FOUND_JOINS = `LEFT JOIN device_claims c ON c.key_hash = a.key_hash
  LEFT JOIN devices d ON d.tenant_id = c.tenant_id AND d.device_id = c.device_id
  LEFT JOIN device_profiles p ON p.tenant_id = c.tenant_id AND p.profile_id = CASE WHEN d.device_id IS NULL THEN c.profile_id ELSE d.profile_id END`;
const NOW_MS = `(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;

/**
 * Counts each attempt against its address's and its key's counter and finds its key, in one
 * statement. Counters are rows of claim_rate_limits (key "address:<ip>" or "key:<sha256 of the
 * claim key, base64url>", points spent, expire in epoch ms), so every replica counts against the
 * same limits; a window starts with its first attempt. Counters are upserted in key order, so
 * concurrent statements never deadlock on them. The k-th attempt of a batch on one counter sees
 * the count before the batch plus k.
 */
const COUNT_AND_FIND = `
WITH attempt AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS a (address_counter, key_counter, key_hash, n)
), tally AS (
  SELECT counter, count(*)::int AS attempts, min(window_ms) AS window_ms FROM (
    SELECT address_counter AS counter, $4::bigint AS window_ms FROM attempt
    UNION ALL SELECT key_counter, $5::bigint FROM attempt) c
  GROUP BY counter
), counter AS (
  INSERT INTO claim_rate_limits AS r (key, points, expire)
  SELECT counter, attempts, ${NOW_MS} + window_ms FROM tally ORDER BY counter
  ON CONFLICT (key) DO UPDATE SET
    points = CASE WHEN r.expire IS NULL OR r.expire <= ${NOW_MS} THEN excluded.points ELSE r.points + excluded.points END,
    expire = CASE WHEN r.expire IS NULL OR r.expire <= ${NOW_MS} THEN excluded.expire ELSE r.expire END
  RETURNING r.key, r.points, r.expire
), counted AS (
  SELECT a.n,
         ca.points - ta.attempts + row_number() OVER (PARTITION BY a.address_counter ORDER BY a.n) AS address_count,
         ca.expire - ${NOW_MS} AS address_ms_left,
         ck.points - tk.attempts + row_number() OVER (PARTITION BY a.key_counter ORDER BY a.n) AS key_count,
         ck.expire - ${NOW_MS} AS key_ms_left
  FROM attempt a
  JOIN counter ca ON ca.key = a.address_counter JOIN tally ta ON ta.counter = a.address_counter
  JOIN counter ck ON ck.key = a.key_counter JOIN tally tk ON tk.counter = a.key_counter
)
SELECT k.address_count, k.address_ms_left, k.key_count, k.key_ms_left, ${FOUND_COLUMNS}
FROM attempt a JOIN counted k USING (n)
  ${FOUND_JOINS}
ORDER BY a.n`;

/** What FIND finds for each key hash, uncounted. */
const FIND = `
WITH attempt AS (SELECT * FROM unnest($1::bytea[]) WITH ORDINALITY AS a (key_hash, n))
SELECT ${FOUND_COLUMNS} FROM attempt a
  ${FOUND_JOINS}
ORDER BY a.n`;

// Counters whose window ended are deleted about once an hour, a bounded number at a time; rows
// another statement holds are skipped, so the sweep never waits for (or deadlocks with) a claim.
const SWEEP_INTERVAL_MS = 3_600_000;
const SWEEP = `DELETE FROM claim_rate_limits WHERE key IN (
  SELECT key FROM claim_rate_limits WHERE expire <= ${NOW_MS} LIMIT 10000 FOR UPDATE SKIP LOCKED)`;

/**
 * Claim attempts as the database sees them: counted against the rate limits and looked up by the
 * hash of their key in one statement, batched with concurrent attempts (see createBatcher).
 */
export class ClaimLookup {
  private readonly countAndFindBatched: (attempt: { address: string; keyHash: Buffer }) => Promise<CountedAttempt>;
  private readonly findBatched: (keyHash: Buffer) => Promise<FoundClaim>;
  private nextSweep = 0;

  constructor(
    private readonly db: Executor,
    private readonly limits: ClaimRateLimits,
  ) {
    this.countAndFindBatched = createBatcher(async (attempts) => {
      await this.sweepWhenDue();
      const result = await this.db.query({
        name: "count-and-find-claims",
        text: COUNT_AND_FIND,
        values: [
          attempts.map((a) => `address:${a.address}`),
          // Keys are counted by hash: the table never holds a claim key in clear.
          attempts.map((a) => `key:${a.keyHash.toString("base64url")}`),
          attempts.map((a) => a.keyHash),
          this.limits.perAddress.seconds * 1000,
          this.limits.perKey.seconds * 1000,
        ],
      });
      return result.rows.map((row) => ({ ...foundOf(row), retryAfterSeconds: this.retryAfterSeconds(row) }));
    });
    this.findBatched = createBatcher(async (keyHashes) => {
      const result = await this.db.query({ name: "find-claims", text: FIND, values: [keyHashes] });
      return result.rows.map(foundOf);
    });
  }

  /**
   * Counts one attempt from `address` with the key of this hash against both limits, whatever
   * the answer will be, and finds the key.
   */
  countAndFind(address: string, keyHash: Buffer): Promise<CountedAttempt> {
    return this.countAndFindBatched({ address, keyHash });
  }

  /** Finds the key again without counting: for an attempt that lost a race and reads what won. */
  find(keyHash: Buffer): Promise<FoundClaim> {
    return this.findBatched(keyHash);
  }

  private retryAfterSeconds(row: Record<string, unknown>): number | undefined {
    const spent = [
      [Number(row["address_count"]), this.limits.perAddress.points, Number(row["address_ms_left"])],
      [Number(row["key_count"]), this.limits.perKey.points, Number(row["key_ms_left"])],
    ].filter(([count, points]) => count! > points!);
    if (spent.length === 0) return undefined;
    return Math.max(1, Math.ceil(Math.max(...spent.map(([, , msLeft]) => msLeft!)) / 1000));
  }

  private async sweepWhenDue(): Promise<void> {
    if (Date.now() < this.nextSweep) return;
    this.nextSweep = Date.now() + SWEEP_INTERVAL_MS;
    await this.db.query(SWEEP);
  }
}

function foundOf(row: Record<string, unknown>): FoundClaim {
  return {
    claim: row["claim_id"] === null ? undefined : claimFromRow(row),
    own: row["d_device_id"] === null ? undefined : deviceFromRow(row, "d_"),
    profile: row["p_profile_id"] === null ? undefined : profileFromRow(row, "p_"),
  };
}
