-- Trust layer: row-level security under a non-owner application role,
-- clinic security settings, MFA, sign-in throttling, password resets,
-- security events, the hash-chained audit trail, envelope-encryption data
-- keys, restricted patients and break-glass grants.

-- The role the application runs as. It owns nothing, is not a superuser and
-- cannot bypass row-level security; operators log in as a member of it:
--   CREATE ROLE ambula LOGIN PASSWORD '…' IN ROLE ambula_app;
-- Roles are cluster-wide, so another database may have created it already.
DO $$
BEGIN
    CREATE ROLE ambula_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

ALTER TABLE clinics
    ADD COLUMN require_mfa          boolean NOT NULL DEFAULT false,
    ADD COLUMN idle_timeout_minutes integer NOT NULL DEFAULT 15
        CHECK (idle_timeout_minutes BETWEEN 2 AND 60),
    ADD COLUMN break_glass_minutes  integer NOT NULL DEFAULT 60
        CHECK (break_glass_minutes BETWEEN 5 AND 720),
    ADD COLUMN deleted_at           timestamptz;

-- MFA secrets are AES-256-GCM ciphertexts (backend/src/envelope.rs).
-- mfa_last_step is the last TOTP time step accepted: a code is never
-- accepted twice.
ALTER TABLE users
    ADD COLUMN mfa_secret          bytea,
    ADD COLUMN mfa_pending_secret  bytea,
    ADD COLUMN mfa_enabled_at      timestamptz,
    ADD COLUMN mfa_last_step       bigint,
    ADD COLUMN password_changed_at timestamptz;

CREATE TABLE mfa_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Sessions are recreated: they gain a stage (a password-only session is
-- not a signed-in session until MFA is done) and a public handle, so the
-- sessions page can name one without revealing its token hash. Existing
-- sessions end; people sign in again once.
DROP TABLE sessions;
CREATE TABLE sessions (
    id            text NOT NULL PRIMARY KEY,
    handle        uuid NOT NULL UNIQUE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    stage         text NOT NULL CHECK (stage IN ('full', 'mfa', 'enrol')),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ip            text,
    user_agent    text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per email address (hashed), known account or not, so a
-- lock-out cannot tell an attacker which addresses have accounts.
CREATE TABLE login_throttle (
    email_hash    text NOT NULL PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

CREATE TABLE password_resets (
    id          text NOT NULL PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Sign-ins, lock-outs, MFA, password and role changes: shown to the person
-- they concern and to their clinic's administrators.
CREATE TABLE security_events (
    id          uuid NOT NULL PRIMARY KEY,
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    clinic_id   uuid REFERENCES clinics (id),
    kind        text NOT NULL,
    at          timestamptz NOT NULL,
    ip          text,
    user_agent  text,
    detail      text
);
CREATE INDEX security_events_user ON security_events (user_id, at);
CREATE INDEX security_events_clinic ON security_events (clinic_id, at);

-- Data keys for envelope encryption, each wrapped (AES-256-GCM) by the
-- master key, which lives outside the database. clinic_id NULL: the system
-- key (MFA secrets). wrapped NULL: destroyed (crypto-shredding).
CREATE TABLE data_keys (
    id            uuid NOT NULL PRIMARY KEY,
    clinic_id     uuid REFERENCES clinics (id),
    wrapped       bytea,
    master_key_id text NOT NULL,
    created_at    timestamptz NOT NULL,
    destroyed_at  timestamptz
);
CREATE UNIQUE INDEX data_keys_one_live_per_clinic ON data_keys (clinic_id) WHERE destroyed_at IS NULL;

-- The audit trail. One hash chain per clinic: hash = SHA-256(prev_hash ‖
-- canonical entry). No foreign key on patient_id or entity_id: a denied
-- attempt records the id that was asked for, which may be another clinic's.
CREATE TABLE audit_events (
    clinic_id      uuid NOT NULL REFERENCES clinics (id),
    id             uuid NOT NULL,
    seq            bigint NOT NULL,
    at             timestamptz NOT NULL,
    actor_user_id  uuid,
    actor_name     text NOT NULL,
    action         text NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('ok', 'denied')),
    patient_id     uuid,
    entity         text NOT NULL,
    entity_id      text,
    ip             text,
    detail         text,
    break_glass    boolean NOT NULL DEFAULT false,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (clinic_id, at);
CREATE INDEX audit_events_patient ON audit_events (clinic_id, patient_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- A restricted patient (a colleague, a public figure) is visible only to
-- their care team, to managers, and through break-glass.
ALTER TABLE patients
    ADD COLUMN restricted boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at timestamptz;

CREATE TABLE care_team (
    clinic_id      uuid NOT NULL REFERENCES clinics (id),
    id             uuid NOT NULL,
    patient_id     uuid NOT NULL,
    membership_id  uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id, membership_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id)
);

CREATE TABLE emergency_grants (
    clinic_id      uuid NOT NULL REFERENCES clinics (id),
    id             uuid NOT NULL,
    patient_id     uuid NOT NULL,
    membership_id  uuid NOT NULL,
    reason         text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX emergency_grants_lookup ON emergency_grants (clinic_id, patient_id, membership_id, expires_at);

-- Row-level security on every clinic-owned table, FORCEd so that it holds
-- for the table owner too. The clinic comes from a transaction-local
-- setting (`set_config('app.clinic_id', $1, true)`, backend/src/db.rs);
-- unset, the NULLIF makes the comparison NULL and no row matches: closed.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'invites', 'practitioners', 'patients', 'appointments',
                             'invoices', 'audit_events', 'care_team', 'emergency_grants']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY clinic_isolation ON %I
                 USING (clinic_id = NULLIF(current_setting(''app.clinic_id'', true), '''')::uuid)
                 WITH CHECK (clinic_id = NULLIF(current_setting(''app.clinic_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- A person may read their own memberships in every clinic (sign-in picks
-- one; the clinic switcher lists them), never anyone else's.
CREATE POLICY own_memberships ON memberships FOR SELECT
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
-- Whoever holds an invitation link may read that one invitation.
CREATE POLICY invite_by_token ON invites FOR SELECT
    USING (token_hash = NULLIF(current_setting('app.invite_token_hash', true), ''));

GRANT USAGE ON SCHEMA public TO ambula_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ambula_app;
REVOKE ALL ON _sqlx_migrations FROM ambula_app;
-- The audit trail is append-only for the application.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM ambula_app;
-- Tables added by later migrations (run by the same owner) are granted too;
-- each such migration still states its own audit-related revokes.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ambula_app;
