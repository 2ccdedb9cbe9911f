-- Bulk-imported devices waiting to claim themselves. Each entry is bound to one hardware_id and
-- holds only the SHA-256 of its claim key. device_id is the device its claims created.
CREATE TABLE device_claims (
  claim_id    uuid        PRIMARY KEY,
  tenant_id   uuid        NOT NULL,
  hardware_id text        NOT NULL,
  key_hash    bytea       NOT NULL UNIQUE,
  name        text        NOT NULL DEFAULT '',
  groups      text[]      NOT NULL DEFAULT '{}',
  tags        jsonb       NOT NULL DEFAULT '{}',
  profile_id  text,
  sub_model   text        NOT NULL DEFAULT '',
  meta        jsonb       NOT NULL DEFAULT '{}',
  config      jsonb,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  device_id   uuid,
  CONSTRAINT device_claims_tenant_hardware_id_key UNIQUE (tenant_id, hardware_id),
  CONSTRAINT device_claims_profile_fkey FOREIGN KEY (tenant_id, profile_id)
    REFERENCES device_profiles (tenant_id, profile_id) ON DELETE RESTRICT
);
