-- Client-certificate credentials: secret_hash holds the SHA-256 fingerprint of the certificate's
-- DER (the certificate and any private key are never stored); its serial and expiry sit beside it
-- so an expired certificate stops authenticating without a rotation.
ALTER TABLE device_credentials
  ADD COLUMN certificate_serial text,
  ADD COLUMN not_after timestamptz,
  ADD CONSTRAINT device_credentials_certificate_check
    CHECK ((kind = 'client_certificate') = (certificate_serial IS NOT NULL AND not_after IS NOT NULL));
