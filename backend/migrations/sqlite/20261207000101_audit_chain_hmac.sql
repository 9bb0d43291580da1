-- Audit chain version 2: entries written from now on are sealed with
-- HMAC-SHA256 under the audit key, kept outside the database; the entries
-- already written keep version 1 (plain SHA-256) and still verify. See the
-- PostgreSQL migration of the same name. ADD COLUMN rewrites no row, so the
-- append-only triggers (audit_events_no_update, audit_events_no_delete)
-- stay in force and unchanged.
ALTER TABLE audit_events
    ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2));
