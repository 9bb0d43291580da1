-- Audit chain version 2. Entries written from now on are sealed with
-- HMAC-SHA256 under the audit key, which lives outside the database (a file
-- beside the master key, or AMBULA_AUDIT_KEY): whoever can write to the
-- database, its owner included, can no longer recompute the chain. Entries
-- already written keep version 1 (plain SHA-256) and still verify; the
-- version is part of what each entry's hash covers, and it never goes down
-- along a chain (backend/src/audit.rs). Adding a column with a constant
-- default rewrites no row, so the append-only triggers are not involved
-- and stay as they are, with the application role's revoked UPDATE,
-- DELETE and TRUNCATE.
ALTER TABLE audit_events
    ADD COLUMN chain_version integer NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2));
