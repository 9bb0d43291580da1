-- The patient registry: full demographics, typed identifiers, guardian and
-- emergency contacts, communication preferences and consents, search keys
-- (computed in domain/src/registry/text.rs), deactivation and merging, and
-- a per-clinic MRN counter.

-- Demographics.
ALTER TABLE patients ADD COLUMN preferred_name TEXT;
ALTER TABLE patients ADD COLUMN sex_at_birth TEXT CHECK (sex_at_birth IN ('female', 'male', 'intersex', 'unknown'));
ALTER TABLE patients ADD COLUMN gender_identity TEXT;
ALTER TABLE patients ADD COLUMN preferred_language TEXT;
ALTER TABLE patients ADD COLUMN address_line1 TEXT;
ALTER TABLE patients ADD COLUMN address_line2 TEXT;
ALTER TABLE patients ADD COLUMN city TEXT;
ALTER TABLE patients ADD COLUMN postcode TEXT;
ALTER TABLE patients ADD COLUMN country TEXT;
-- Typed identifiers beside the clinic's MRN; *_key is the normalized
-- form searched on (upper case, letters and digits only).
ALTER TABLE patients ADD COLUMN national_id TEXT;
ALTER TABLE patients ADD COLUMN national_id_key TEXT;
ALTER TABLE patients ADD COLUMN insurance_id TEXT;
ALTER TABLE patients ADD COLUMN insurance_id_key TEXT;
-- Contacts.
ALTER TABLE patients ADD COLUMN emergency_name TEXT;
ALTER TABLE patients ADD COLUMN emergency_relation TEXT;
ALTER TABLE patients ADD COLUMN emergency_phone TEXT;
ALTER TABLE patients ADD COLUMN guardian_name TEXT;
ALTER TABLE patients ADD COLUMN guardian_relation TEXT;
ALTER TABLE patients ADD COLUMN guardian_phone TEXT;
ALTER TABLE patients ADD COLUMN guardian_email TEXT;
-- Communication preferences (opt-in, beyond appointment reminders) and
-- consents with the date each was recorded (NULL: not given).
ALTER TABLE patients ADD COLUMN contact_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patients ADD COLUMN contact_sms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patients ADD COLUMN consent_treatment_on TEXT;
ALTER TABLE patients ADD COLUMN consent_sharing_on TEXT;
-- Search keys: accent-folded lower-case names and a phonetic key, the
-- phone's digits reversed (a suffix search becomes a prefix search) and
-- the lower-case email. NULL keys are filled in on the next search.
ALTER TABLE patients ADD COLUMN family_key TEXT;
ALTER TABLE patients ADD COLUMN given_key TEXT;
ALTER TABLE patients ADD COLUMN preferred_key TEXT;
ALTER TABLE patients ADD COLUMN family_phonetic TEXT;
ALTER TABLE patients ADD COLUMN given_phonetic TEXT;
ALTER TABLE patients ADD COLUMN phone_rev TEXT;
ALTER TABLE patients ADD COLUMN email_key TEXT;
-- Deactivation without deleting; a merged record points at its survivor.
ALTER TABLE patients ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE patients ADD COLUMN inactive_reason TEXT CHECK (inactive_reason IN ('deceased', 'moved', 'other', 'merged'));
ALTER TABLE patients ADD COLUMN inactive_on TEXT;
ALTER TABLE patients ADD COLUMN inactive_note TEXT;
ALTER TABLE patients ADD COLUMN merged_into BLOB;

-- SQLite cannot add a composite foreign key to an existing table; these
-- triggers hold the same rule: a merged record points at a patient of the
-- same clinic.
CREATE TRIGGER patients_merged_into_same_clinic BEFORE UPDATE OF merged_into ON patients
WHEN NEW.merged_into IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.clinic_id = NEW.clinic_id AND p.id = NEW.merged_into)
BEGIN
    SELECT RAISE(ABORT, 'merged_into must reference a patient of the same clinic');
END;

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
-- the registering transaction, so numbers survive deletes and merges and
-- two registrations never get the same one. Seeded with the old scheme's
-- next number (COUNT + 1).
ALTER TABLE clinics ADD COLUMN mrn_counter INTEGER NOT NULL DEFAULT 0;
UPDATE clinics SET mrn_counter = (SELECT COUNT(*) FROM patients p WHERE p.clinic_id = clinics.id);
