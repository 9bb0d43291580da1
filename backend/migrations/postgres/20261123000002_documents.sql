-- Patient documents (the chart issue adds previews and the timeline). The
-- content is an AES-256-GCM ciphertext under the clinic's data key, bound
-- to this row; sha256 is the digest of the plaintext, for integrity checks
-- and for exchange.
CREATE TABLE documents (
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    id            uuid NOT NULL,
    patient_id    uuid NOT NULL,
    file_name     text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL,
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    uploaded_by   uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, uploaded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX documents_patient ON documents (clinic_id, patient_id, created_at);

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON documents
    USING (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid)
    WITH CHECK (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO ambula_app;
