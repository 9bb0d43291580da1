-- Vital signs, lab and imaging orders and their structured results. Values
-- are integers in one canonical unit each (domain/src/vitals.rs,
-- domain/src/results.rs); nothing here is free text, so nothing is
-- encrypted beyond the documents a report attaches (documents table).

CREATE TABLE vital_signs (
    clinic_id         uuid NOT NULL REFERENCES clinics (id),
    id                uuid NOT NULL,
    patient_id        uuid NOT NULL,
    recorded_at       timestamptz NOT NULL,
    recorded_by       uuid NOT NULL,
    systolic_mmhg     integer CHECK (systolic_mmhg BETWEEN 40 AND 300),
    diastolic_mmhg    integer CHECK (diastolic_mmhg BETWEEN 20 AND 200),
    pulse_bpm         integer CHECK (pulse_bpm BETWEEN 20 AND 250),
    temperature_dc    integer CHECK (temperature_dc BETWEEN 250 AND 450),
    respiratory_rate  integer CHECK (respiratory_rate BETWEEN 4 AND 80),
    spo2_pct          integer CHECK (spo2_pct BETWEEN 50 AND 100),
    height_mm         integer CHECK (height_mm BETWEEN 200 AND 2720),
    weight_g          integer CHECK (weight_g BETWEEN 200 AND 650000),
    -- Computed from weight and the height of this or the latest earlier reading.
    bmi_dt            integer,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    CHECK ((systolic_mmhg IS NULL) = (diastolic_mmhg IS NULL))
);
CREATE INDEX vital_signs_patient ON vital_signs (clinic_id, patient_id, recorded_at);

CREATE TABLE lab_orders (
    clinic_id           uuid NOT NULL REFERENCES clinics (id),
    id                  uuid NOT NULL,
    patient_id          uuid NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('lab', 'imaging')),
    test_name           text NOT NULL,
    test_code           text,
    status              text NOT NULL CHECK (status IN ('ordered', 'received')),
    ordered_at          timestamptz NOT NULL,
    ordered_by          uuid NOT NULL,
    received_at         timestamptz,
    report_document_id  uuid,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, ordered_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, report_document_id) REFERENCES documents (clinic_id, id)
);
CREATE INDEX lab_orders_patient ON lab_orders (clinic_id, patient_id, ordered_at);

CREATE TABLE lab_results (
    clinic_id            uuid NOT NULL REFERENCES clinics (id),
    id                   uuid NOT NULL,
    order_id             uuid NOT NULL,
    patient_id           uuid NOT NULL,
    analyte              text NOT NULL,
    value_milli          bigint NOT NULL,
    unit                 text NOT NULL,
    ref_low_milli        bigint,
    ref_high_milli       bigint,
    critical_low_milli   bigint,
    critical_high_milli  bigint,
    flag                 text NOT NULL CHECK (flag IN ('N', 'L', 'H', 'LL', 'HH')),
    resulted_at          timestamptz NOT NULL,
    entered_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, order_id) REFERENCES lab_orders (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, entered_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX lab_results_patient ON lab_results (clinic_id, patient_id, resulted_at);
CREATE INDEX lab_results_order ON lab_results (clinic_id, order_id);

-- Row-level security, FORCEd, on every new clinic-owned table (as in
-- 20261124000001_scheduling.sql), and the application role's grants.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['vital_signs', 'lab_orders', 'lab_results']
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
