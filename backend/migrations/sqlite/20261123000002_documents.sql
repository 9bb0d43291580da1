-- SQLite twin of migrations/postgres/20261123000002_documents.sql.
CREATE TABLE documents (
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    id            BLOB NOT NULL,
    patient_id    BLOB NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL,
    uploaded_by   BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, uploaded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX documents_patient ON documents (clinic_id, patient_id, created_at);
