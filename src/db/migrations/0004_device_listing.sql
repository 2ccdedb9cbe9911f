-- ListDevices pages through a tenant's devices in (created_at, device_id) order.
CREATE INDEX devices_listing_idx ON devices (tenant_id, created_at, device_id);
-- Tag filters use containment (tags @> '{"region":"eu"}').
CREATE INDEX devices_tags_idx ON devices USING gin (tags jsonb_path_ops);
