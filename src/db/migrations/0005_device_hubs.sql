-- The hub a device was assigned when it was created; the URLs are kept with it, so a later change
-- of the hub pool does not move or break existing devices.
ALTER TABLE devices
  ADD COLUMN hub_id              text NOT NULL DEFAULT '',
  ADD COLUMN hub_url             text NOT NULL DEFAULT '',
  ADD COLUMN hub_url_static_cert text NOT NULL DEFAULT '',
  ADD COLUMN mqtt_hub_url        text NOT NULL DEFAULT '';
