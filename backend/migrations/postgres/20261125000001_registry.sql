-- The patient registry: full demographics, typed identifiers, guardian and
-- emergency contacts, communication preferences and consents, search keys
-- (computed in domain/src/registry/text.rs), deactivation and merging, and
-- a per-clinic MRN counter.

ALTER TABLE patients
    -- Demographics.
    ADD COLUMN preferred_name       text,
    ADD COLUMN sex_at_birth         text CHECK (sex_at_birth IN ('female', 'male', 'intersex', 'unknown')),
    ADD COLUMN gender_identity      text,
    ADD COLUMN preferred_language   text,
    ADD COLUMN address_line1        text,
    ADD COLUMN address_line2        text,
    ADD COLUMN city                 text,
    ADD COLUMN postcode             text,
    ADD COLUMN country              text,
    -- Typed identifiers beside the clinic's MRN; *_key is the normalized
    -- form searched on (upper case, letters and digits only).
    ADD COLUMN national_id          text,
    ADD COLUMN national_id_key      text COLLATE "C",
    ADD COLUMN insurance_id         text,
    ADD COLUMN insurance_id_key     text COLLATE "C",
    -- Contacts.
    ADD COLUMN emergency_name       text,
    ADD COLUMN emergency_relation   text,
    ADD COLUMN emergency_phone      text,
    ADD COLUMN guardian_name        text,
    ADD COLUMN guardian_relation    text,
    ADD COLUMN guardian_phone       text,
    ADD COLUMN guardian_email       text,
    -- Communication preferences (opt-in, beyond appointment reminders) and
    -- consents with the date each was recorded (NULL: not given).
    ADD COLUMN contact_email        boolean NOT NULL DEFAULT false,
    ADD COLUMN contact_sms          boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_treatment_on date,
    ADD COLUMN consent_sharing_on   date,
    -- Search keys: accent-folded lower-case names and a phonetic key, the
    -- phone's digits reversed (a suffix search becomes a prefix search)
    -- and the lower-case email. Byte order ("C") so that prefix ranges
    -- use the indexes. NULL keys are filled in on the next search.
    ADD COLUMN family_key           text COLLATE "C",
    ADD COLUMN given_key            text COLLATE "C",
    ADD COLUMN preferred_key        text COLLATE "C",
    ADD COLUMN family_phonetic      text COLLATE "C",
    ADD COLUMN given_phonetic       text COLLATE "C",
    ADD COLUMN phone_rev            text COLLATE "C",
    ADD COLUMN email_key            text COLLATE "C",
    -- Deactivation without deleting; a merged record points at its survivor.
    ADD COLUMN active               boolean NOT NULL DEFAULT true,
    ADD COLUMN inactive_reason      text CHECK (inactive_reason IN ('deceased', 'moved', 'other', 'merged')),
    ADD COLUMN inactive_on          date,
    ADD COLUMN inactive_note        text,
    ADD COLUMN merged_into          uuid,
    ADD CONSTRAINT patients_merged_into_fk FOREIGN KEY (clinic_id, merged_into) REFERENCES patients (clinic_id, id);

CREATE INDEX patients_family_key ON patients (clinic_id, family_key);
CREATE INDEX patients_given_key ON patients (clinic_id, given_key);
CREATE INDEX patients_preferred_key ON patients (clinic_id, preferred_key);
CREATE INDEX patients_family_phonetic ON patients (clinic_id, family_phonetic);
CREATE INDEX patients_given_phonetic ON patients (clinic_id, given_phonetic);
CREATE INDEX patients_birth_date ON patients (clinic_id, date_of_birth);
CREATE INDEX patients_phone_rev ON patients (clinic_id, phone_rev);
CREATE INDEX patients_email_key ON patients (clinic_id, email_key);
CREATE INDEX patients_national_id ON patients (clinic_id, national_id_key);
CREATE INDEX patients_insurance_id ON patients (clinic_id, insurance_id_key);
-- The list without a query, in each of its orders, read in index order up
-- to its LIMIT (active records are the usual view).
CREATE INDEX patients_list_name ON patients (clinic_id, active, family_name, given_name, id);
CREATE INDEX patients_list_birth ON patients (clinic_id, active, date_of_birth, family_name, id);
CREATE INDEX patients_list_newest ON patients (clinic_id, active, created_at);

-- The MRN counter: one row per clinic (the clinic's own), incremented in
-- the registering transaction (the row lock serializes registrations of
-- one clinic), so numbers survive deletes and merges and two
-- registrations never get the same one. Seeded with the old scheme's next
-- number (COUNT + 1); the count must see every clinic's rows, so FORCE is
-- lifted for it as in 20261124000001_scheduling.sql.
ALTER TABLE clinics ADD COLUMN mrn_counter bigint NOT NULL DEFAULT 0;
ALTER TABLE patients NO FORCE ROW LEVEL SECURITY;
UPDATE clinics SET mrn_counter = (SELECT COUNT(*) FROM patients p WHERE p.clinic_id = clinics.id);
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
