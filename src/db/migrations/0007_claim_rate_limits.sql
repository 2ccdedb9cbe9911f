-- Counters of the claim rate limits, shared by all replicas (rate-limiter-flexible's table layout).
CREATE TABLE claim_rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
