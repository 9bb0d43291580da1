-- SQLite twin of migrations/postgres/20261125000003_medications.sql.
-- The chart's medications tab: allergies and intolerances, the explicit
-- "no known allergies" statement, medications and prescriptions (a change
-- or stop ends a row and never edits it), immunizations and referrals.
-- Clinical free text (reactions, instructions, reasons, the allergy
-- acknowledgement, letters) is AES-256-GCM ciphertext under the clinic's
-- data key, bound to its row (backend/src/envelope.rs).

CREATE TABLE allergies (
    clinic_id          BLOB NOT NULL REFERENCES clinics (id),
    id                 BLOB NOT NULL,
    patient_id         BLOB NOT NULL,
    substance          TEXT NOT NULL,
    -- A drug class key of domain/src/medications/allergy_check.rs, or NULL.
    coded              TEXT,
    reaction           BLOB,
    severity           TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'life_threatening')),
    kind               TEXT NOT NULL CHECK (kind IN ('allergy', 'intolerance')),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'refuted')),
    recorded_by        BLOB NOT NULL,
    recorded_at        TEXT NOT NULL,
    status_changed_by  BLOB,
    status_changed_at  TEXT,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, status_changed_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX allergies_patient ON allergies (clinic_id, patient_id, recorded_at);

-- "No known allergies", said by someone at some time. One per patient;
-- recording an allergy removes it (the audit trail keeps that it was said).
CREATE TABLE no_known_allergies (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    recorded_by  BLOB NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);

CREATE TABLE medications (
    clinic_id      BLOB NOT NULL REFERENCES clinics (id),
    id             BLOB NOT NULL,
    patient_id     BLOB NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('prescribed', 'recorded')),
    drug           TEXT NOT NULL,
    strength       TEXT,
    strength_unit  TEXT,
    dose           TEXT NOT NULL,
    dose_unit      TEXT NOT NULL,
    route          TEXT NOT NULL,
    frequency      TEXT NOT NULL,
    duration_days  INTEGER CHECK (duration_days BETWEEN 1 AND 365),
    quantity       INTEGER CHECK (quantity BETWEEN 1 AND 10000),
    refills        INTEGER NOT NULL DEFAULT 0 CHECK (refills BETWEEN 0 AND 12),
    start_date     TEXT NOT NULL,
    instructions   BLOB,
    -- Why it was prescribed despite an allergy warning (acknowledged).
    allergy_ack    BLOB,
    prescriber_id  BLOB,
    -- The medication this one replaced (a change).
    replaces_id    BLOB,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'changed')),
    ended_at       TEXT,
    ended_by       BLOB,
    end_reason     BLOB,
    created_by     BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, prescriber_id) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, replaces_id) REFERENCES medications (clinic_id, id),
    FOREIGN KEY (clinic_id, ended_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id),
    CHECK ((status = 'active') = (ended_at IS NULL))
);
CREATE INDEX medications_patient ON medications (clinic_id, patient_id, start_date);

CREATE TABLE immunizations (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    vaccine      TEXT NOT NULL,
    given_on     TEXT NOT NULL,
    dose_number  INTEGER CHECK (dose_number BETWEEN 1 AND 10),
    lot          TEXT,
    site         TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    recorded_by  BLOB NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX immunizations_patient ON immunizations (clinic_id, patient_id, given_on);

CREATE TABLE referrals (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    to_name      TEXT NOT NULL,
    specialty    TEXT,
    to_address   TEXT,
    to_email     TEXT,
    reason       BLOB NOT NULL,
    urgency      TEXT NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'completed')),
    letter       BLOB,
    created_by   BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX referrals_patient ON referrals (clinic_id, patient_id, created_at);

