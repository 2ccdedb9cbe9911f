-- A re-claim in one call for a batch of claims: the device each claim created gets a new
-- credential, its live ones are revoked and device.credential_rotated goes to the outbox. A claim
-- is re-claimed only if it still names that device, has not expired, and the device is unchanged
-- since the caller read it (same version), so the event describes the device as it is; the others
-- are left alone, for the caller to read again. Returns the positions (from 1) of the re-claimed.
CREATE FUNCTION reclaim_devices(
  claim_ids uuid[], device_ids uuid[], versions bigint[],
  credential_ids uuid[], kinds text[], secret_hashes bytea[], certificate_serials text[], not_afters timestamptz[], claimed_ats timestamptz[],
  event_ids uuid[], event_types text[], tenant_ids uuid[], payloads json[]
) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  -- The devices, then their claims, each in id order: the order of every writer that locks both
  -- (a deletion locks the device, then its foreign key the claim), so none of them deadlock.
  PERFORM 1 FROM devices WHERE device_id = ANY (device_ids) ORDER BY device_id FOR UPDATE;
  PERFORM 1 FROM device_claims WHERE claim_id = ANY (claim_ids) ORDER BY claim_id FOR UPDATE;
  -- A new query, so a new snapshot: it sees what those who held these locks before committed.
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(claim_ids, device_ids, versions, credential_ids, kinds, secret_hashes, certificate_serials, not_afters, claimed_ats,
                         event_ids, event_types, tenant_ids, payloads)
      WITH ORDINALITY AS i (claim_id, device_id, version, credential_id, kind, secret_hash, certificate_serial, not_after, claimed_at,
                            event_id, event_type, tenant_id, payload, n)
  ), current AS (
    -- One re-claim per claim: a second one in the same call goes again with the next.
    SELECT DISTINCT ON (i.claim_id) i.* FROM input i
    JOIN device_claims c ON c.claim_id = i.claim_id AND c.device_id = i.device_id AND c.expires_at > statement_timestamp()
    JOIN devices d ON d.tenant_id = c.tenant_id AND d.device_id = i.device_id AND d.version = i.version
    ORDER BY i.claim_id, i.n
  ), revoked AS (
    UPDATE device_credentials k SET revoked_at = cur.claimed_at FROM current cur WHERE k.device_id = cur.device_id AND k.revoked_at IS NULL
  ), credential AS (
    INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after)
    SELECT credential_id, device_id, kind, secret_hash, claimed_at, certificate_serial, not_after FROM current
  ), event AS (
    INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
    SELECT event_id, event_type, tenant_id, device_id::text, payload, claimed_at FROM current ORDER BY n
  )
  SELECT current.n FROM current;
END;
$$;
