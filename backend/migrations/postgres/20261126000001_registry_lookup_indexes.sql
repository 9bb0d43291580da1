-- The registry's equality lookups (sounds-like names, date of birth,
-- email, national and insurance ids) filter on `active` too (the list
-- shows active records by default). With (clinic_id, key) indexes,
-- SQLite's planner, which has no statistics (the application never runs
-- ANALYZE), ties them with the list indexes on (clinic_id, active, …) and
-- picks the list index: every such search read all of a clinic's active
-- records (found by the chart benchmark: 20 ms median for a name search at
-- 10,000 patients, see docs/benchmarks.md). With `active` in the index the
-- lookup is an equality on all three columns and wins; searches over all
-- records (no `active` term) use the same index by its prefix. The date
-- of birth and email lookups are listed by name, so their indexes carry
-- the list order too (else the list index still wins, for its order). Same
-- indexes on PostgreSQL, so both schemas stay alike.
DROP INDEX patients_family_phonetic;
DROP INDEX patients_given_phonetic;
DROP INDEX patients_birth_date;
DROP INDEX patients_email_key;
DROP INDEX patients_national_id;
DROP INDEX patients_insurance_id;
CREATE INDEX patients_family_phonetic ON patients (clinic_id, family_phonetic, active);
CREATE INDEX patients_given_phonetic ON patients (clinic_id, given_phonetic, active);
CREATE INDEX patients_birth_date ON patients (clinic_id, date_of_birth, active, family_name, given_name, id);
CREATE INDEX patients_email_key ON patients (clinic_id, email_key, active, family_name, given_name, id);
CREATE INDEX patients_national_id ON patients (clinic_id, national_id_key, active);
CREATE INDEX patients_insurance_id ON patients (clinic_id, insurance_id_key, active);
