-- Opening a chart and paging its timeline look up the records merged into
-- the patient (`WHERE clinic_id = ? AND merged_into = ?`,
-- repo/patients.rs::merged_into). Without an index that read every
-- patient of the clinic on each chart open. Merged records are few, so a
-- partial index holds only them. Same index on both databases.
CREATE INDEX patients_merged_into ON patients (clinic_id, merged_into) WHERE merged_into IS NOT NULL;
