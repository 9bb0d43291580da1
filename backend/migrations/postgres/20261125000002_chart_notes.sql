-- The clinical chart's core: note templates, encounters with SOAP notes
-- (sign and lock, amendments), the problem list and history.
--
-- Clinical free text (note sections, amendments, problem notes, history
-- details) is stored as AES-256-GCM ciphertext under the clinic's data key
-- (backend/src/envelope.rs), bound to its table, column and row.

-- Per-clinic note templates. fields: JSON array of
-- {"label", "kind": text|number|choice, "section": subjective|objective|assessment|plan, "choices": [..]}
-- (domain/src/chart/templates.rs). Never deleted, only deactivated, so a
-- note keeps pointing at the template it was written from.
CREATE TABLE note_templates (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    fields      text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

-- A visit: when (UTC; typed and shown in the clinic's zone), who saw the
-- patient, optionally the appointment it came from.
CREATE TABLE encounters (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    patient_id       uuid NOT NULL,
    practitioner_id  uuid,
    appointment_id   uuid,
    occurred_at      timestamptz NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('consultation', 'follow_up', 'telephone', 'home_visit', 'procedure', 'other')),
    status           text NOT NULL CHECK (status IN ('in_progress', 'finished', 'cancelled')),
    created_by       uuid NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX encounters_patient ON encounters (clinic_id, patient_id, occurred_at);

-- One note per encounter. A draft is edited by its author; signing sets
-- status, signed_by and signed_at in one UPDATE, after which the row never
-- changes again (trigger below): later changes are amendments.
CREATE TABLE clinical_notes (
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    id            uuid NOT NULL,
    encounter_id  uuid NOT NULL,
    patient_id    uuid NOT NULL,
    template_id   uuid,
    author_id     uuid NOT NULL,
    subjective    bytea NOT NULL,
    objective     bytea NOT NULL,
    assessment    bytea NOT NULL,
    plan          bytea NOT NULL,
    status        text NOT NULL CHECK (status IN ('draft', 'signed')),
    signed_by     uuid,
    signed_at     timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
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

CREATE FUNCTION clinical_notes_signed_are_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed note cannot be changed; add an amendment';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER clinical_notes_locked BEFORE UPDATE OR DELETE ON clinical_notes
    FOR EACH ROW EXECUTE FUNCTION clinical_notes_signed_are_locked();

-- Amendments to signed notes (HIPAA right of amendment): appended, never
-- changed or removed; the original note is kept as signed.
CREATE TABLE note_amendments (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    id          uuid NOT NULL,
    note_id     uuid NOT NULL,
    patient_id  uuid NOT NULL,
    author_id   uuid NOT NULL,
    reason      bytea NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, note_id) REFERENCES clinical_notes (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, author_id) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX note_amendments_note ON note_amendments (clinic_id, note_id, created_at);
CREATE INDEX note_amendments_patient ON note_amendments (clinic_id, patient_id, created_at);

CREATE FUNCTION note_amendments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'note_amendments is append-only';
END
$$;
CREATE TRIGGER note_amendments_no_change BEFORE UPDATE OR DELETE ON note_amendments
    FOR EACH ROW EXECUTE FUNCTION note_amendments_append_only();

-- The problem list. code: an ICD-10-CM code from the shipped list (NULL
-- for a free-text problem); description: the code's title or the text
-- typed. notes: ciphertext or NULL.
CREATE TABLE problems (
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    id            uuid NOT NULL,
    patient_id    uuid NOT NULL,
    code          text,
    description   text NOT NULL,
    onset_date    date,
    status        text NOT NULL CHECK (status IN ('active', 'resolved', 'inactive')),
    notes         bytea,
    recorded_by   uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX problems_patient ON problems (clinic_id, patient_id, created_at);

-- Medical, surgical and family history: one row per entry. relation only
-- for family history; details is ciphertext.
CREATE TABLE history_entries (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('medical', 'surgical', 'family')),
    relation     text,
    year         integer,
    details      bytea NOT NULL,
    recorded_by  uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    CHECK ((kind = 'family') = (relation IS NOT NULL))
);
CREATE INDEX history_entries_patient ON history_entries (clinic_id, patient_id, kind, created_at);

-- Social history: one row per patient, replaced as a whole.
CREATE TABLE social_history (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    smoking      text NOT NULL CHECK (smoking IN ('unknown', 'never', 'former', 'current')),
    alcohol      text NOT NULL CHECK (alcohol IN ('unknown', 'none', 'occasional', 'regular', 'heavy')),
    occupation   bytea,
    notes        bytea,
    updated_by   uuid NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, updated_by) REFERENCES memberships (clinic_id, id)
);

-- Row-level security, FORCEd, on every new clinic-owned table (as in
-- 20261124000001_scheduling.sql), and the application role's grants.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['note_templates', 'encounters', 'clinical_notes', 'note_amendments', 'problems',
                             'history_entries', 'social_history']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY clinic_isolation ON %I
                 USING (clinic_id = NULLIF(current_setting(''app.clinic_id'', true), '''')::uuid)
                 WITH CHECK (clinic_id = NULLIF(current_setting(''app.clinic_id'', true), '''')::uuid)', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ambula_app', t);
    END LOOP;
END
$$;

-- Amendments are append-only for the application role as well as by trigger.
REVOKE UPDATE, DELETE ON note_amendments FROM ambula_app;
