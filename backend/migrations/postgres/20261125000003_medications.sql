-- The chart's medications tab: allergies and intolerances, the explicit
-- "no known allergies" statement, medications and prescriptions (a change
-- or stop ends a row and never edits it), immunizations and referrals.
-- Clinical free text (reactions, instructions, reasons, the allergy
-- acknowledgement, letters) is AES-256-GCM ciphertext under the clinic's
-- data key, bound to its row (backend/src/envelope.rs).

CREATE TABLE allergies (
    clinic_id          uuid NOT NULL REFERENCES clinics (id),
    id                 uuid NOT NULL,
    patient_id         uuid NOT NULL,
    substance          text NOT NULL,
    -- A drug class key of domain/src/medications/allergy_check.rs, or NULL.
    coded              text,
    reaction           bytea,
    severity           text NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'life_threatening')),
    kind               text NOT NULL CHECK (kind IN ('allergy', 'intolerance')),
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'refuted')),
    recorded_by        uuid NOT NULL,
    recorded_at        timestamptz NOT NULL,
    status_changed_by  uuid,
    status_changed_at  timestamptz,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, status_changed_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX allergies_patient ON allergies (clinic_id, patient_id, recorded_at);

-- "No known allergies", said by someone at some time. One per patient;
-- recording an allergy removes it (the audit trail keeps that it was said).
CREATE TABLE no_known_allergies (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, patient_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);

CREATE TABLE medications (
    clinic_id      uuid NOT NULL REFERENCES clinics (id),
    id             uuid NOT NULL,
    patient_id     uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('prescribed', 'recorded')),
    drug           text NOT NULL,
    strength       text,
    strength_unit  text,
    dose           text NOT NULL,
    dose_unit      text NOT NULL,
    route          text NOT NULL,
    frequency      text NOT NULL,
    duration_days  integer CHECK (duration_days BETWEEN 1 AND 365),
    quantity       integer CHECK (quantity BETWEEN 1 AND 10000),
    refills        integer NOT NULL DEFAULT 0 CHECK (refills BETWEEN 0 AND 12),
    start_date     date NOT NULL,
    instructions   bytea,
    -- Why it was prescribed despite an allergy warning (acknowledged).
    allergy_ack    bytea,
    prescriber_id  uuid,
    -- The medication this one replaced (a change).
    replaces_id    uuid,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'changed')),
    ended_at       timestamptz,
    ended_by       uuid,
    end_reason     bytea,
    created_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL,
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
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    vaccine      text NOT NULL,
    given_on     date NOT NULL,
    dose_number  integer CHECK (dose_number BETWEEN 1 AND 10),
    lot          text,
    site         text NOT NULL,
    given_by     text NOT NULL,
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX immunizations_patient ON immunizations (clinic_id, patient_id, given_on);

CREATE TABLE referrals (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    to_name      text NOT NULL,
    specialty    text,
    to_address   text,
    to_email     text,
    reason       bytea NOT NULL,
    urgency      text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'completed')),
    letter       bytea,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX referrals_patient ON referrals (clinic_id, patient_id, created_at);

-- Row-level security, FORCEd, and the application role's grants, as for
-- every clinic-owned table (20261124000001_scheduling.sql).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['allergies', 'no_known_allergies', 'medications', 'immunizations', 'referrals']
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
