-- Wakes the relay when events are written. One notification per statement (and PostgreSQL folds
-- identical ones within a transaction), so a busy writer does not flood the channel. Notifications
-- are not durable: the relay also polls.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_inserted', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
