import { createHash } from "node:crypto";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError } from "../domain/errors.js";

/** Claim attempts allowed per window, per client address and per claim key. */
export interface ClaimRateLimits {
  readonly perAddress: { readonly points: number; readonly seconds: number };
  readonly perKey: { readonly points: number; readonly seconds: number };
}

/** Limits claim attempts with counters in PostgreSQL, so every replica counts against the same limits. */
export class ClaimRateLimiter {
  private readonly byAddress: RateLimiterPostgres;
  private readonly byKey: RateLimiterPostgres;

  constructor(pool: pg.Pool, limits: ClaimRateLimits) {
    const common = { storeClient: pool, storeType: "pool", tableName: "claim_rate_limits", tableCreated: true };
    this.byAddress = new RateLimiterPostgres({ ...common, keyPrefix: "address", points: limits.perAddress.points, duration: limits.perAddress.seconds });
    this.byKey = new RateLimiterPostgres({ ...common, keyPrefix: "key", points: limits.perKey.points, duration: limits.perKey.seconds });
  }

  /** Counts one attempt; RateLimitedError with the seconds to wait when either limit is spent. */
  async consume(address: string, claimKey: string): Promise<void> {
    // Keys are counted by hash: the table never holds a claim key in clear.
    const keyId = createHash("sha256").update(claimKey).digest("base64url");
    try {
      await Promise.all([this.byAddress.consume(address), this.byKey.consume(keyId)]);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }
}
