-- A claim key may only ever create or re-claim the device it created.
--
-- device_claims.device_id becomes a foreign key: it names the device the claim created and
-- nothing else, and deleting that device sets it back to NULL, so the key (until it expires or is
-- revoked) claims a new device again instead of re-claiming whatever holds the hardware_id later.
-- Deferred, because a claim records its device before it inserts it (see the trigger below).
UPDATE device_claims c SET device_id = NULL
WHERE device_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.tenant_id = c.tenant_id AND d.device_id = c.device_id);
-- A pending claim whose hardware_id a device already holds can never create its device: drop it.
DELETE FROM device_claims c
WHERE c.device_id IS NULL AND EXISTS (SELECT 1 FROM devices d WHERE d.tenant_id = c.tenant_id AND d.hardware_id = c.hardware_id);
ALTER TABLE device_claims
  ADD CONSTRAINT device_claims_device_id_key UNIQUE (device_id),
  ADD CONSTRAINT device_claims_device_fkey FOREIGN KEY (tenant_id, device_id)
    REFERENCES devices (tenant_id, device_id) ON DELETE SET NULL (device_id) DEFERRABLE INITIALLY DEFERRED;

-- While a claim is pending (no device yet, not expired) its hardware_id belongs to it: registering
-- the hardware_id by hand or as a gateway's child is refused. Imports take the tenant's
-- hardware_id lock exclusively and device inserts take it shared, so an import and a registration
-- of the same hardware_id cannot both pass their checks before either commits.
CREATE FUNCTION lock_tenant_hardware_ids(tenant uuid, exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- The two-key form: its key space never meets the single-key locks of migrations and the relay.
  IF exclusive THEN
    PERFORM pg_advisory_xact_lock(1752656228, hashtext(tenant::text));
  ELSE
    PERFORM pg_advisory_xact_lock_shared(1752656228, hashtext(tenant::text));
  END IF;
END;
$$;

CREATE FUNCTION devices_refuse_pending_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_tenant_hardware_ids(NEW.tenant_id, false);
  -- A new query after the lock: it sees every import committed while this insert waited.
  IF EXISTS (SELECT 1 FROM device_claims c
             WHERE c.tenant_id = NEW.tenant_id AND c.hardware_id = NEW.hardware_id
               AND c.device_id IS NULL AND c.expires_at > statement_timestamp()) THEN
    RAISE EXCEPTION 'hardware_id "%" has a pending claim key', NEW.hardware_id
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'device_claims_pending_hardware_id';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER devices_refuse_pending_claim BEFORE INSERT ON devices
  FOR EACH ROW EXECUTE FUNCTION devices_refuse_pending_claim();
