-- The clinic's tax registration number (VAT / NIF / EIN), printed on the
-- letterhead of its invoices, receipts and statements. Optional: a clinic
-- that is not registered for tax leaves it empty. Checked by the form
-- (ClinicProfileForm: letters, digits, space, `-./`, at most 40).
ALTER TABLE clinics ADD COLUMN tax_number TEXT CHECK (tax_number IS NULL OR length(tax_number) BETWEEN 1 AND 40);
