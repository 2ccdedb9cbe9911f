-- Device profiles: tenant-scoped defaults that devices inherit at registration.
CREATE TABLE device_profiles (
  tenant_id       uuid        NOT NULL,
  profile_id      text        NOT NULL,
  display_name    text        NOT NULL DEFAULT '',
  groups          text[]      NOT NULL DEFAULT '{}',
  tags            jsonb       NOT NULL DEFAULT '{}',
  anchor_mode     smallint    NOT NULL DEFAULT 0,
  firmware        text        NOT NULL DEFAULT '',
  meta            jsonb       NOT NULL DEFAULT '{}',
  config          jsonb,
  credential_type smallint    NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  version         bigint      NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, profile_id)
);

CREATE TABLE devices (
  device_id   uuid        PRIMARY KEY,
  tenant_id   uuid        NOT NULL,
  name        text        NOT NULL,
  hardware_id text        NOT NULL,
  status      text        NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'disabled')),
  groups      text[]      NOT NULL DEFAULT '{}',
  tags        jsonb       NOT NULL DEFAULT '{}',
  anchor_mode smallint    NOT NULL,
  profile_id  text,
  gateway_id  uuid,
  firmware    text        NOT NULL DEFAULT '',
  meta        jsonb       NOT NULL DEFAULT '{}',
  config      jsonb,
  sub_model   text        NOT NULL DEFAULT '',
  is_gateway  boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  version     bigint      NOT NULL DEFAULT 1,
  CONSTRAINT devices_tenant_hardware_id_key UNIQUE (tenant_id, hardware_id),
  -- Target of the composite foreign key below, so a gateway is always in its child's tenant.
  CONSTRAINT devices_tenant_device_id_key UNIQUE (tenant_id, device_id),
  CONSTRAINT devices_profile_fkey FOREIGN KEY (tenant_id, profile_id)
    REFERENCES device_profiles (tenant_id, profile_id) ON DELETE RESTRICT,
  CONSTRAINT devices_gateway_fkey FOREIGN KEY (tenant_id, gateway_id)
    REFERENCES devices (tenant_id, device_id) ON DELETE CASCADE
);
CREATE INDEX devices_gateway_idx ON devices (tenant_id, gateway_id) WHERE gateway_id IS NOT NULL;
CREATE INDEX devices_profile_idx ON devices (tenant_id, profile_id) WHERE profile_id IS NOT NULL;

-- Device credentials. Only the SHA-256 of a secret is stored; the secret itself is returned once.
CREATE TABLE device_credentials (
  credential_id uuid        PRIMARY KEY,
  device_id     uuid        NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
  kind          text        NOT NULL CHECK (kind IN ('api_key', 'client_certificate')),
  secret_hash   bytea       NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX device_credentials_device_idx ON device_credentials (device_id);

-- Transactional outbox: each change writes its event here in the same transaction;
-- a relay publishes unpublished rows to Kafka.
CREATE TABLE outbox (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id     uuid        NOT NULL UNIQUE,
  event_type   text        NOT NULL,
  tenant_id    uuid        NOT NULL,
  -- What the event is about (a device_id): the Kafka record key and CloudEvents subject.
  subject      text        NOT NULL,
  payload      json        NOT NULL,
  occurred_at  timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
