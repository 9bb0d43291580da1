-- SQLite twin of migrations/postgres/20261123000001_trust.sql. SQLite has no
-- roles or row-level security: the ClinicScope filter in every repository
-- and the composite foreign keys are its isolation; triggers keep the audit
-- trail append-only.

ALTER TABLE clinics ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clinics ADD COLUMN idle_timeout_minutes INTEGER NOT NULL DEFAULT 15
    CHECK (idle_timeout_minutes BETWEEN 2 AND 60);
ALTER TABLE clinics ADD COLUMN break_glass_minutes INTEGER NOT NULL DEFAULT 60
    CHECK (break_glass_minutes BETWEEN 5 AND 720);
ALTER TABLE clinics ADD COLUMN deleted_at TEXT;

ALTER TABLE users ADD COLUMN mfa_secret BLOB;
ALTER TABLE users ADD COLUMN mfa_pending_secret BLOB;
ALTER TABLE users ADD COLUMN mfa_enabled_at TEXT;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;

CREATE TABLE mfa_recovery_codes (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
);

DROP TABLE sessions;
CREATE TABLE sessions (
    id            TEXT NOT NULL PRIMARY KEY,
    handle        BLOB NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    stage         TEXT NOT NULL CHECK (stage IN ('full', 'mfa', 'enrol')),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_throttle (
    email_hash    TEXT NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  TEXT NOT NULL,
    locked_until  TEXT
);

CREATE TABLE password_resets (
    id          TEXT NOT NULL PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id);

CREATE TABLE security_events (
    id          BLOB NOT NULL PRIMARY KEY,
    user_id     BLOB REFERENCES users (id) ON DELETE CASCADE,
    clinic_id   BLOB REFERENCES clinics (id),
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    detail      TEXT
);
CREATE INDEX security_events_user ON security_events (user_id, at);
CREATE INDEX security_events_clinic ON security_events (clinic_id, at);

CREATE TABLE data_keys (
    id            BLOB NOT NULL PRIMARY KEY,
    clinic_id     BLOB REFERENCES clinics (id),
    wrapped       BLOB,
    master_key_id TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    destroyed_at  TEXT
);
CREATE UNIQUE INDEX data_keys_one_live_per_clinic ON data_keys (clinic_id) WHERE destroyed_at IS NULL;

CREATE TABLE audit_events (
    clinic_id      BLOB NOT NULL REFERENCES clinics (id),
    id             BLOB NOT NULL,
    seq            INTEGER NOT NULL,
    at             TEXT NOT NULL,
    actor_user_id  BLOB,
    actor_name     TEXT NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'denied')),
    patient_id     BLOB,
    entity         TEXT NOT NULL,
    entity_id      TEXT,
    ip             TEXT,
    detail         TEXT,
    break_glass    INTEGER NOT NULL DEFAULT 0,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (clinic_id, at);
CREATE INDEX audit_events_patient ON audit_events (clinic_id, patient_id, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

ALTER TABLE patients ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patients ADD COLUMN updated_at TEXT;

CREATE TABLE care_team (
    clinic_id      BLOB NOT NULL REFERENCES clinics (id),
    id             BLOB NOT NULL,
    patient_id     BLOB NOT NULL,
    membership_id  BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id, membership_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id)
);

CREATE TABLE emergency_grants (
    clinic_id      BLOB NOT NULL REFERENCES clinics (id),
    id             BLOB NOT NULL,
    patient_id     BLOB NOT NULL,
    membership_id  BLOB NOT NULL,
    reason         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX emergency_grants_lookup ON emergency_grants (clinic_id, patient_id, membership_id, expires_at);
