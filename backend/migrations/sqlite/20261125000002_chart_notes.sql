-- SQLite twin of migrations/postgres/20261125000002_chart_notes.sql: note
-- templates, encounters with SOAP notes (sign and lock, amendments), the
-- problem list and history. Clinical free text is ciphertext (BLOB).

CREATE TABLE note_templates (
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    fields      TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

CREATE TABLE encounters (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    patient_id       BLOB NOT NULL,
    practitioner_id  BLOB,
    appointment_id   BLOB,
    occurred_at      TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('consultation', 'follow_up', 'telephone', 'home_visit', 'procedure', 'other')),
    status           TEXT NOT NULL CHECK (status IN ('in_progress', 'finished', 'cancelled')),
    created_by       BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX encounters_patient ON encounters (clinic_id, patient_id, occurred_at);

CREATE TABLE clinical_notes (
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    id            BLOB NOT NULL,
    encounter_id  BLOB NOT NULL,
    patient_id    BLOB NOT NULL,
    template_id   BLOB,
    author_id     BLOB NOT NULL,
    subjective    BLOB NOT NULL,
    objective     BLOB NOT NULL,
    assessment    BLOB NOT NULL,
    plan          BLOB NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    signed_by     BLOB,
    signed_at     TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, encounter_id),
    FOREIGN KEY (clinic_id, encounter_id) REFERENCES encounters (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, template_id) REFERENCES note_templates (clinic_id, id),
    FOREIGN KEY (clinic_id, author_id) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, signed_by) REFERENCES memberships (clinic_id, id),
    CHECK ((status = 'signed') = (signed_at IS NOT NULL AND signed_by IS NOT NULL))
);
CREATE INDEX clinical_notes_patient ON clinical_notes (clinic_id, patient_id, created_at);

-- A signed note never changes again; later changes are amendments.
CREATE TRIGGER clinical_notes_locked_update BEFORE UPDATE ON clinical_notes WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed note cannot be changed; add an amendment');
END;
CREATE TRIGGER clinical_notes_locked_delete BEFORE DELETE ON clinical_notes WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed note cannot be changed; add an amendment');
END;

CREATE TABLE note_amendments (
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    id          BLOB NOT NULL,
    note_id     BLOB NOT NULL,
    patient_id  BLOB NOT NULL,
    author_id   BLOB NOT NULL,
    reason      BLOB NOT NULL,
    body        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, note_id) REFERENCES clinical_notes (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, author_id) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX note_amendments_note ON note_amendments (clinic_id, note_id, created_at);
CREATE INDEX note_amendments_patient ON note_amendments (clinic_id, patient_id, created_at);

CREATE TRIGGER note_amendments_no_update BEFORE UPDATE ON note_amendments
BEGIN
    SELECT RAISE(ABORT, 'note_amendments is append-only');
END;
CREATE TRIGGER note_amendments_no_delete BEFORE DELETE ON note_amendments
BEGIN
    SELECT RAISE(ABORT, 'note_amendments is append-only');
END;

CREATE TABLE problems (
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    id            BLOB NOT NULL,
    patient_id    BLOB NOT NULL,
    code          TEXT,
    description   TEXT NOT NULL,
    onset_date    TEXT,
    status        TEXT NOT NULL CHECK (status IN ('active', 'resolved', 'inactive')),
    notes         BLOB,
    recorded_by   BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX problems_patient ON problems (clinic_id, patient_id, created_at);

CREATE TABLE history_entries (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('medical', 'surgical', 'family')),
    relation     TEXT,
    year         INTEGER,
    details      BLOB NOT NULL,
    recorded_by  BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    CHECK ((kind = 'family') = (relation IS NOT NULL))
);
CREATE INDEX history_entries_patient ON history_entries (clinic_id, patient_id, kind, created_at);

CREATE TABLE social_history (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    smoking      TEXT NOT NULL CHECK (smoking IN ('unknown', 'never', 'former', 'current')),
    alcohol      TEXT NOT NULL CHECK (alcohol IN ('unknown', 'none', 'occasional', 'regular', 'heavy')),
    occupation   BLOB,
    notes        BLOB,
    updated_by   BLOB NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, updated_by) REFERENCES memberships (clinic_id, id)
);
