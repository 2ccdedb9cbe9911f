-- Manufacturer CAs: certificate authorities a tenant trusts to vouch for its devices, which then
-- register themselves by presenting a certificate the CA signed. A CA belongs to one tenant only
-- (fingerprint is globally unique), so a presented certificate names exactly one tenant.
CREATE TABLE manufacturer_cas (
  ca_id              uuid        PRIMARY KEY,
  tenant_id          uuid        NOT NULL,
  certificate_pem    text        NOT NULL,
  fingerprint        bytea       NOT NULL,
  -- The subject as node:crypto prints it, matched against the issuer of presented certificates.
  subject            text        NOT NULL,
  not_before         timestamptz NOT NULL,
  not_after          timestamptz NOT NULL,
  enabled            boolean     NOT NULL,
  hardware_id_source smallint    NOT NULL DEFAULT 0,
  profile_id         text,
  groups             text[]      NOT NULL DEFAULT '{}',
  tags               jsonb       NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  version            bigint      NOT NULL DEFAULT 1,
  CONSTRAINT manufacturer_cas_fingerprint_key UNIQUE (fingerprint),
  CONSTRAINT manufacturer_cas_profile_fkey FOREIGN KEY (tenant_id, profile_id)
    REFERENCES device_profiles (tenant_id, profile_id) ON DELETE RESTRICT
);
CREATE INDEX manufacturer_cas_tenant_idx ON manufacturer_cas (tenant_id, created_at, ca_id);
CREATE INDEX manufacturer_cas_subject_idx ON manufacturer_cas (subject);

-- The code a tenant's verification certificates carry as their subject CN, proving that whoever
-- registers a CA for this tenant holds the CA's key. Not a secret: it binds the proof to the tenant.
CREATE TABLE ca_registration_codes (
  tenant_id  uuid        PRIMARY KEY,
  code       text        NOT NULL,
  created_at timestamptz NOT NULL
);

-- A certificate credential from a manufacturer CA names it; ours (the issuing CA's) name none.
-- Deleting the CA withdraws the tenant's trust in it: its devices' certificates go with it.
ALTER TABLE device_credentials
  ADD COLUMN ca_id uuid REFERENCES manufacturer_cas (ca_id) ON DELETE CASCADE;

-- Every certificate credential that stopped being live by revocation (rotation, re-claim) or
-- deletion (of its device or CA) stays here: the CRL lists ours, and a revoked manufacturer
-- certificate never registers again.
CREATE TABLE revoked_certificates (
  fingerprint bytea       PRIMARY KEY,
  serial      text        NOT NULL,
  ca_id       uuid,
  not_after   timestamptz NOT NULL,
  revoked_at  timestamptz NOT NULL
);
CREATE INDEX revoked_certificates_ours_idx ON revoked_certificates (not_after) WHERE ca_id IS NULL;

-- Changes whenever the CRL's content may have changed, so every replica knows to sign a new one.
CREATE TABLE crl_state (
  singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  revision  bigint      NOT NULL
);
INSERT INTO crl_state (revision) VALUES (0);
-- Each CRL signed takes the next number: CRL numbers increase across replicas (RFC 5280 5.2.3).
CREATE SEQUENCE crl_number_seq;

-- In triggers, so no code path (a gateway's children deleted by cascade included) can forget one.
CREATE FUNCTION record_revoked_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.kind <> 'client_certificate' OR (TG_OP = 'UPDATE' AND (OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL)) THEN
    RETURN NULL;
  END IF;
  INSERT INTO revoked_certificates (fingerprint, serial, ca_id, not_after, revoked_at)
  VALUES (OLD.secret_hash, OLD.certificate_serial, OLD.ca_id, OLD.not_after,
          CASE WHEN TG_OP = 'UPDATE' THEN NEW.revoked_at ELSE coalesce(OLD.revoked_at, now()) END)
  ON CONFLICT (fingerprint) DO NOTHING;
  UPDATE crl_state SET revision = revision + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER device_credentials_revoked AFTER UPDATE OF revoked_at OR DELETE ON device_credentials
  FOR EACH ROW EXECUTE FUNCTION record_revoked_certificate();

-- A disabled device's certificate is on hold in the CRL until the device is enabled again.
CREATE FUNCTION note_device_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE crl_state SET revision = revision + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER devices_status_changed AFTER UPDATE OF status ON devices
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION note_device_status_change();
