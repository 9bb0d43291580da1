-- SQLite twin of migrations/postgres/20261125000004_vitals_results.sql.
-- Vital signs, lab and imaging orders and their structured results. Values
-- are integers in one canonical unit each (domain/src/vitals.rs,
-- domain/src/results.rs); nothing here is free text, so nothing is
-- encrypted beyond the documents a report attaches (documents table).

CREATE TABLE vital_signs (
    clinic_id         BLOB NOT NULL REFERENCES clinics (id),
    id                BLOB NOT NULL,
    patient_id        BLOB NOT NULL,
    recorded_at       TEXT NOT NULL,
    recorded_by       BLOB NOT NULL,
    systolic_mmhg     INTEGER CHECK (systolic_mmhg BETWEEN 40 AND 300),
    diastolic_mmhg    INTEGER CHECK (diastolic_mmhg BETWEEN 20 AND 200),
    pulse_bpm         INTEGER CHECK (pulse_bpm BETWEEN 20 AND 250),
    temperature_dc    INTEGER CHECK (temperature_dc BETWEEN 250 AND 450),
    respiratory_rate  INTEGER CHECK (respiratory_rate BETWEEN 4 AND 80),
    spo2_pct          INTEGER CHECK (spo2_pct BETWEEN 50 AND 100),
    height_mm         INTEGER CHECK (height_mm BETWEEN 200 AND 2720),
    weight_g          INTEGER CHECK (weight_g BETWEEN 200 AND 650000),
    -- Computed from weight and the height of this or the latest earlier reading.
    bmi_dt            INTEGER,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, recorded_by) REFERENCES memberships (clinic_id, id),
    CHECK ((systolic_mmhg IS NULL) = (diastolic_mmhg IS NULL))
);
CREATE INDEX vital_signs_patient ON vital_signs (clinic_id, patient_id, recorded_at);

CREATE TABLE lab_orders (
    clinic_id           BLOB NOT NULL REFERENCES clinics (id),
    id                  BLOB NOT NULL,
    patient_id          BLOB NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('lab', 'imaging')),
    test_name           TEXT NOT NULL,
    test_code           TEXT,
    status              TEXT NOT NULL CHECK (status IN ('ordered', 'received')),
    ordered_at          TEXT NOT NULL,
    ordered_by          BLOB NOT NULL,
    received_at         TEXT,
    report_document_id  BLOB,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, ordered_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, report_document_id) REFERENCES documents (clinic_id, id)
);
CREATE INDEX lab_orders_patient ON lab_orders (clinic_id, patient_id, ordered_at);

CREATE TABLE lab_results (
    clinic_id            BLOB NOT NULL REFERENCES clinics (id),
    id                   BLOB NOT NULL,
    order_id             BLOB NOT NULL,
    patient_id           BLOB NOT NULL,
    analyte              TEXT NOT NULL,
    value_milli          INTEGER NOT NULL,
    unit                 TEXT NOT NULL,
    ref_low_milli        INTEGER,
    ref_high_milli       INTEGER,
    critical_low_milli   INTEGER,
    critical_high_milli  INTEGER,
    flag                 TEXT NOT NULL CHECK (flag IN ('N', 'L', 'H', 'LL', 'HH')),
    resulted_at          TEXT NOT NULL,
    entered_by           BLOB NOT NULL,
    created_at           TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, order_id) REFERENCES lab_orders (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, entered_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX lab_results_patient ON lab_results (clinic_id, patient_id, resulted_at);
CREATE INDEX lab_results_order ON lab_results (clinic_id, order_id);
