-- Billing: the fee schedule, invoices reshaped (drafts, lines, credit
-- notes, void with a reason), gap-free numbering per clinic, payments with
-- allocations, refunds. Rounding and account rules: domain/src/billing/.
--
-- Issued documents are final, enforced here as well as in the services:
-- triggers refuse any change to an issued invoice's amounts, number,
-- patient or lines, and any delete; only its settlement (paid/credited
-- amounts, status, the void fields) moves. Allocations and refunds are
-- append-only.

-- Gap-free numbers: one counter row per clinic and series, incremented by
-- `UPDATE … RETURNING` in the issuing transaction (the row lock serializes
-- concurrent issues; a rollback gives the number back).
CREATE TABLE billing_counters (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    series       text NOT NULL CHECK (series IN ('invoice', 'credit_note', 'receipt', 'claim')),
    last_number  bigint NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, series)
);

-- The fee schedule: CPT codes or the clinic's own, in the clinic currency.
CREATE TABLE fee_services (
    clinic_id            uuid NOT NULL REFERENCES clinics (id),
    id                   uuid NOT NULL,
    code                 text NOT NULL,
    description          text NOT NULL,
    price_minor          bigint NOT NULL CHECK (price_minor >= 0),
    tax_rate_bp          integer NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    appointment_type_id  uuid,
    active               boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, code),
    FOREIGN KEY (clinic_id, appointment_type_id) REFERENCES appointment_types (clinic_id, id)
);
-- One active service bills a given appointment type.
CREATE UNIQUE INDEX fee_services_one_per_type ON fee_services (clinic_id, appointment_type_id)
    WHERE appointment_type_id IS NOT NULL AND active;

-- Payers (insurers, employers) and their own prices for some services.
CREATE TABLE payers (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('insurer', 'employer', 'other')),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

CREATE TABLE fee_service_prices (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    service_id   uuid NOT NULL,
    payer_id     uuid NOT NULL,
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, service_id, payer_id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);

-- Existing invoices (the foundation's seed table) become issued invoices
-- with one line each; their paid amounts become a payment each. FORCE is
-- lifted for this data migration (see 20261124000001_scheduling.sql).
ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY;

ALTER TABLE invoices DROP CONSTRAINT invoices_clinic_id_number_key;
ALTER TABLE invoices
    ALTER COLUMN number DROP NOT NULL,
    ALTER COLUMN issued_at DROP NOT NULL,
    ADD COLUMN kind            text NOT NULL DEFAULT 'invoice',
    ADD COLUMN subtotal_minor  bigint,
    ADD COLUMN tax_minor       bigint,
    ADD COLUMN credited_minor  bigint NOT NULL DEFAULT 0,
    ADD COLUMN credit_of       uuid,
    ADD COLUMN appointment_id  uuid,
    ADD COLUMN payer_id        uuid,
    ADD COLUMN due_on          date,
    ADD COLUMN note            text,
    ADD COLUMN reason          text,
    ADD COLUMN issued_by       uuid,
    ADD COLUMN void_reason     text,
    ADD COLUMN voided_at       timestamptz,
    ADD COLUMN voided_by       uuid,
    ADD COLUMN created_by      uuid,
    ADD COLUMN updated_at      timestamptz;

UPDATE invoices SET
    subtotal_minor = total_minor,
    tax_minor = 0,
    paid_minor = LEAST(GREATEST(paid_minor, 0), total_minor),
    status = CASE WHEN status = 'void' THEN 'void' ELSE status END,
    void_reason = CASE WHEN status = 'void' THEN 'Voided before itemised billing.' END,
    voided_at = CASE WHEN status = 'void' THEN issued_at END,
    due_on = (issued_at AT TIME ZONE 'UTC')::date + 30,
    updated_at = created_at;
UPDATE invoices SET status = CASE
        WHEN status = 'void' THEN 'void'
        WHEN paid_minor >= total_minor THEN 'paid'
        WHEN paid_minor > 0 THEN 'partially_paid'
        ELSE 'issued' END;

ALTER TABLE invoices
    ALTER COLUMN subtotal_minor SET NOT NULL,
    ALTER COLUMN tax_minor SET NOT NULL,
    ADD CONSTRAINT invoices_kind_check CHECK (kind IN ('invoice', 'credit_note')),
    ADD CONSTRAINT invoices_status_check CHECK (status IN ('draft', 'issued', 'partially_paid', 'paid', 'credited', 'void')),
    ADD CONSTRAINT invoices_number_iff_issued CHECK ((status = 'draft') = (number IS NULL) AND (status = 'draft') = (issued_at IS NULL)),
    ADD CONSTRAINT invoices_sign CHECK ((kind = 'invoice' AND total_minor >= 0) OR (kind = 'credit_note' AND total_minor <= 0)),
    ADD CONSTRAINT invoices_total_is_sum CHECK (subtotal_minor + tax_minor = total_minor),
    ADD CONSTRAINT invoices_never_overpaid CHECK (
        paid_minor >= 0 AND credited_minor >= 0
        AND (kind = 'credit_note' OR paid_minor + credited_minor <= total_minor)
        AND (kind = 'invoice' OR (paid_minor = 0 AND credited_minor = 0))),
    ADD CONSTRAINT invoices_credit_note_refers CHECK ((kind = 'credit_note') = (credit_of IS NOT NULL)),
    ADD CONSTRAINT invoices_void_has_reason CHECK ((status = 'void') = (void_reason IS NOT NULL)),
    ADD CONSTRAINT invoices_number_unique UNIQUE (clinic_id, kind, number),
    ADD CONSTRAINT invoices_credit_of_fk FOREIGN KEY (clinic_id, credit_of) REFERENCES invoices (clinic_id, id),
    ADD CONSTRAINT invoices_appointment_fk FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    ADD CONSTRAINT invoices_payer_fk FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    ADD CONSTRAINT invoices_issued_by_fk FOREIGN KEY (clinic_id, issued_by) REFERENCES memberships (clinic_id, id),
    ADD CONSTRAINT invoices_voided_by_fk FOREIGN KEY (clinic_id, voided_by) REFERENCES memberships (clinic_id, id),
    ADD CONSTRAINT invoices_created_by_fk FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id);

-- An appointment is invoiced once (a voided invoice frees it).
CREATE UNIQUE INDEX invoices_one_per_appointment ON invoices (clinic_id, appointment_id)
    WHERE appointment_id IS NOT NULL AND kind = 'invoice' AND status <> 'void';
CREATE INDEX invoices_patient ON invoices (clinic_id, patient_id, created_at);
CREATE INDEX invoices_issued ON invoices (clinic_id, issued_at);
CREATE INDEX invoices_credit_of ON invoices (clinic_id, credit_of);

CREATE TABLE invoice_lines (
    clinic_id         uuid NOT NULL REFERENCES clinics (id),
    id                uuid NOT NULL,
    invoice_id        uuid NOT NULL,
    position          integer NOT NULL CHECK (position >= 0),
    service_id        uuid,
    code              text,
    description       text NOT NULL,
    quantity_milli    bigint NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
    discount_minor    bigint NOT NULL CHECK (discount_minor >= 0),
    tax_rate_bp       integer NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor         bigint NOT NULL,
    tax_minor         bigint NOT NULL,
    total_minor       bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, invoice_id, position),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id),
    CHECK (net_minor + tax_minor = total_minor)
);

CREATE TABLE payments (
    clinic_id          uuid NOT NULL REFERENCES clinics (id),
    id                 uuid NOT NULL,
    patient_id         uuid NOT NULL,
    method             text NOT NULL CHECK (method IN ('cash', 'card', 'bank_transfer', 'insurance', 'online')),
    currency           text NOT NULL CHECK (length(currency) = 3),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    allocated_minor    bigint NOT NULL DEFAULT 0,
    refunded_minor     bigint NOT NULL DEFAULT 0,
    reference          text,
    receipt_number     bigint NOT NULL,
    received_at        timestamptz NOT NULL,
    received_by        uuid,
    provider_event_id  text,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, receipt_number),
    UNIQUE (clinic_id, provider_event_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, received_by) REFERENCES memberships (clinic_id, id),
    -- Allocated to invoices + refunded never exceeds what was paid; the
    -- rest is the patient's credit.
    CHECK (allocated_minor >= 0 AND refunded_minor >= 0 AND allocated_minor + refunded_minor <= amount_minor)
);
CREATE INDEX payments_patient ON payments (clinic_id, patient_id, received_at);
CREATE INDEX payments_received ON payments (clinic_id, received_at);

-- Money put on (positive) or taken off (negative) an invoice from a
-- payment. Append-only: the history of every allocation stays.
CREATE TABLE payment_allocations (
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    id            uuid NOT NULL,
    payment_id    uuid NOT NULL,
    invoice_id    uuid NOT NULL,
    amount_minor  bigint NOT NULL CHECK (amount_minor <> 0),
    cause         text NOT NULL CHECK (cause IN ('payment', 'credit_applied', 'refund', 'credit_note')),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, payment_id) REFERENCES payments (clinic_id, id),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id)
);
CREATE INDEX payment_allocations_payment ON payment_allocations (clinic_id, payment_id);
CREATE INDEX payment_allocations_invoice ON payment_allocations (clinic_id, invoice_id);

CREATE TABLE refunds (
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    id            uuid NOT NULL,
    payment_id    uuid NOT NULL,
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    method        text NOT NULL CHECK (method IN ('cash', 'card', 'bank_transfer', 'insurance', 'online')),
    reason        text NOT NULL,
    refunded_at   timestamptz NOT NULL,
    refunded_by   uuid,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, payment_id) REFERENCES payments (clinic_id, id),
    FOREIGN KEY (clinic_id, refunded_by) REFERENCES memberships (clinic_id, id)
);
CREATE INDEX refunds_payment ON refunds (clinic_id, payment_id);
CREATE INDEX refunds_at ON refunds (clinic_id, refunded_at);

-- Packages: so many visits of one service, prepaid. A patient's package
-- is sold on an invoice and used up one appointment at a time; the check
-- keeps the count within what was sold, whatever the concurrency.
CREATE TABLE fee_packages (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    service_id   uuid NOT NULL,
    sessions     integer NOT NULL CHECK (sessions BETWEEN 1 AND 200),
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    tax_rate_bp  integer NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id)
);

CREATE TABLE patient_packages (
    clinic_id       uuid NOT NULL REFERENCES clinics (id),
    id              uuid NOT NULL,
    package_id      uuid NOT NULL,
    patient_id      uuid NOT NULL,
    invoice_id      uuid NOT NULL,
    sessions_total  integer NOT NULL CHECK (sessions_total > 0),
    sessions_used   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, invoice_id),
    FOREIGN KEY (clinic_id, package_id) REFERENCES fee_packages (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id),
    CHECK (sessions_used BETWEEN 0 AND sessions_total)
);
CREATE INDEX patient_packages_patient ON patient_packages (clinic_id, patient_id);

CREATE TABLE package_uses (
    clinic_id           uuid NOT NULL REFERENCES clinics (id),
    id                  uuid NOT NULL,
    patient_package_id  uuid NOT NULL,
    appointment_id      uuid NOT NULL,
    used_at             timestamptz NOT NULL,
    used_by             uuid,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, appointment_id),
    FOREIGN KEY (clinic_id, patient_package_id) REFERENCES patient_packages (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, used_by) REFERENCES memberships (clinic_id, id)
);

-- Insurance: a patient's coverage by a payer, and claims made from invoices.
-- Diagnosis codes are health data: sealed with the clinic's data key
-- (backend/src/envelope.rs), like documents.
CREATE TABLE patient_coverages (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    patient_id       uuid NOT NULL,
    payer_id         uuid NOT NULL,
    member_id        text NOT NULL,
    plan             text,
    valid_from       date NOT NULL,
    valid_to         date,
    covered_percent  integer NOT NULL CHECK (covered_percent BETWEEN 0 AND 100),
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX patient_coverages_patient ON patient_coverages (clinic_id, patient_id);

CREATE TABLE claims (
    clinic_id             uuid NOT NULL REFERENCES clinics (id),
    id                    uuid NOT NULL,
    number                bigint NOT NULL,
    invoice_id            uuid NOT NULL,
    coverage_id           uuid NOT NULL,
    payer_id              uuid NOT NULL,
    status                text NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'denied', 'paid')),
    diagnosis_sealed      bytea NOT NULL,
    procedure_codes       text NOT NULL,
    amount_minor          bigint NOT NULL CHECK (amount_minor > 0),
    paid_minor            bigint NOT NULL DEFAULT 0,
    denial_reason         text,
    remittance_reference  text,
    payment_id            uuid,
    created_at            timestamptz NOT NULL,
    submitted_at          timestamptz,
    decided_at            timestamptz,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, number),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id),
    FOREIGN KEY (clinic_id, coverage_id) REFERENCES patient_coverages (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    FOREIGN KEY (clinic_id, payment_id) REFERENCES payments (clinic_id, id),
    CHECK (paid_minor BETWEEN 0 AND amount_minor),
    CHECK ((status = 'denied') = (denial_reason IS NOT NULL)),
    CHECK ((status = 'paid') = (payment_id IS NOT NULL))
);
-- One claim in progress per invoice.
CREATE UNIQUE INDEX claims_one_open_per_invoice ON claims (clinic_id, invoice_id)
    WHERE status IN ('draft', 'submitted', 'accepted');

-- The data migration: a line for every existing invoice, a payment (and its
-- allocation) for what was paid on it, and counters that continue after
-- the numbers already used.
INSERT INTO invoice_lines (clinic_id, id, invoice_id, position, service_id, code, description, quantity_milli,
                           unit_price_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor, created_at)
SELECT clinic_id, gen_random_uuid(), id, 0, NULL, NULL, 'Services (before itemised billing)', 1000,
       total_minor, 0, 0, total_minor, 0, total_minor, created_at
FROM invoices;

CREATE TEMPORARY TABLE legacy_payments ON COMMIT DROP AS
SELECT clinic_id, gen_random_uuid() AS id, id AS invoice_id, patient_id, currency, paid_minor, issued_at, created_at,
       row_number() OVER (PARTITION BY clinic_id ORDER BY number) AS receipt_number
FROM invoices WHERE paid_minor > 0;
INSERT INTO payments (clinic_id, id, patient_id, method, currency, amount_minor, allocated_minor, refunded_minor,
                      reference, receipt_number, received_at, received_by, provider_event_id, created_at)
SELECT clinic_id, id, patient_id, 'bank_transfer', currency, paid_minor, paid_minor, 0,
       'Recorded before itemised billing', receipt_number, issued_at, NULL, NULL, created_at
FROM legacy_payments;
INSERT INTO payment_allocations (clinic_id, id, payment_id, invoice_id, amount_minor, cause, created_at)
SELECT clinic_id, gen_random_uuid(), id, invoice_id, paid_minor, 'payment', created_at FROM legacy_payments;

INSERT INTO billing_counters (clinic_id, id, series, last_number)
SELECT clinic_id, gen_random_uuid(), 'invoice', max(number) FROM invoices GROUP BY clinic_id;
INSERT INTO billing_counters (clinic_id, id, series, last_number)
SELECT clinic_id, gen_random_uuid(), 'receipt', max(receipt_number) FROM legacy_payments GROUP BY clinic_id;

-- Issued documents are final.
CREATE FUNCTION invoices_issued_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is issued: it cannot be deleted (issue a credit note or void it)', OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
           NEW.status = 'draft'
        OR OLD.status = 'void'
        OR (NEW.clinic_id, NEW.id, NEW.kind, NEW.patient_id, NEW.number, NEW.currency, NEW.subtotal_minor,
            NEW.tax_minor, NEW.total_minor, NEW.issued_at, NEW.issued_by, NEW.due_on, NEW.credit_of,
            NEW.appointment_id, NEW.payer_id, NEW.note, NEW.reason, NEW.created_at, NEW.created_by)
           IS DISTINCT FROM
           (OLD.clinic_id, OLD.id, OLD.kind, OLD.patient_id, OLD.number, OLD.currency, OLD.subtotal_minor,
            OLD.tax_minor, OLD.total_minor, OLD.issued_at, OLD.issued_by, OLD.due_on, OLD.credit_of,
            OLD.appointment_id, OLD.payer_id, OLD.note, OLD.reason, OLD.created_at, OLD.created_by)) THEN
        RAISE EXCEPTION 'invoice % is issued: its amounts, lines and number are final (issue a credit note or void it)', OLD.id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_final BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_issued_are_final();

CREATE FUNCTION invoice_lines_only_on_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO parent FROM invoices WHERE clinic_id = OLD.clinic_id AND id = OLD.invoice_id;
        IF parent IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'invoice % is issued: its lines are final', OLD.invoice_id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO parent FROM invoices WHERE clinic_id = NEW.clinic_id AND id = NEW.invoice_id;
        IF parent IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'invoice % is issued: its lines are final', NEW.invoice_id;
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER invoice_lines_final BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoice_lines_only_on_drafts();

-- A payment's amount, method, patient and currency never change, and
-- payments are never deleted; only the allocated and refunded totals move.
CREATE FUNCTION payments_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.clinic_id, NEW.id, NEW.patient_id, NEW.method, NEW.currency, NEW.amount_minor,
                            NEW.receipt_number, NEW.received_at, NEW.received_by, NEW.provider_event_id)
                           IS DISTINCT FROM
                           (OLD.clinic_id, OLD.id, OLD.patient_id, OLD.method, OLD.currency, OLD.amount_minor,
                            OLD.receipt_number, OLD.received_at, OLD.received_by, OLD.provider_event_id) THEN
        RAISE EXCEPTION 'payment % is final: refund it instead', OLD.id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payments_final BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_are_final();

CREATE FUNCTION billing_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER payment_allocations_append_only BEFORE UPDATE OR DELETE ON payment_allocations
    FOR EACH ROW EXECUTE FUNCTION billing_append_only();
CREATE TRIGGER refunds_append_only BEFORE UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION billing_append_only();

ALTER TABLE invoices FORCE ROW LEVEL SECURITY;

-- Row-level security, FORCEd, on every new clinic-owned table (as in
-- 20261123000001_trust.sql), and the application role's grants.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_counters', 'fee_services', 'invoice_lines', 'payments', 'payment_allocations',
                             'refunds', 'payers', 'fee_service_prices', 'fee_packages', 'patient_packages',
                             'package_uses', 'patient_coverages', 'claims']
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
-- The ledger tables are append-only for the application as well.
REVOKE UPDATE, DELETE, TRUNCATE ON payment_allocations, refunds FROM ambula_app;
REVOKE DELETE, TRUNCATE ON payments FROM ambula_app;
