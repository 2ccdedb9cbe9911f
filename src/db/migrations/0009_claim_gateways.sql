-- An import entry may describe a gateway: the device its claim creates may register children.
ALTER TABLE device_claims ADD COLUMN is_gateway boolean NOT NULL DEFAULT false;
