-- Security events are append-only for the application (PostgreSQL: revoked
-- UPDATE and DELETE, and forced row-level security; see the migration of
-- the same number there).
CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'security_events is append-only');
END;
CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'security_events is append-only');
END;
