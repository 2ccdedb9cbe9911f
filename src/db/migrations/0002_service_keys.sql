-- Keys every replica must share (e.g. the HMAC key of page tokens), generated once by the database.
CREATE TABLE service_keys (
  name       text        PRIMARY KEY,
  key        bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- 32 bytes from two random (v4) UUIDs: 244 random bits, with no extension needed.
INSERT INTO service_keys (name, key)
VALUES ('page_token', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
