-- SQLite twin of migrations/postgres/20261125000006_billing.sql: same tables,
-- keys, constraints and finality rules (triggers). SQLite cannot drop a NOT
-- NULL or a UNIQUE constraint, so `invoices` is rebuilt and its rows copied.

CREATE TABLE billing_counters (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    series       TEXT NOT NULL CHECK (series IN ('invoice', 'credit_note', 'receipt', 'claim')),
    last_number  INTEGER NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, series)
);

CREATE TABLE fee_services (
    clinic_id            BLOB NOT NULL REFERENCES clinics (id),
    id                   BLOB NOT NULL,
    code                 TEXT NOT NULL,
    description          TEXT NOT NULL,
    price_minor          INTEGER NOT NULL CHECK (price_minor >= 0),
    tax_rate_bp          INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    appointment_type_id  BLOB,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, code),
    FOREIGN KEY (clinic_id, appointment_type_id) REFERENCES appointment_types (clinic_id, id)
);
CREATE UNIQUE INDEX fee_services_one_per_type ON fee_services (clinic_id, appointment_type_id)
    WHERE appointment_type_id IS NOT NULL AND active;

-- Payers (insurers, employers) and their own prices for some services.
CREATE TABLE payers (
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('insurer', 'employer', 'other')),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

CREATE TABLE fee_service_prices (
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    service_id   BLOB NOT NULL,
    payer_id     BLOB NOT NULL,
    price_minor  INTEGER NOT NULL CHECK (price_minor >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, service_id, payer_id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);

CREATE TABLE invoices_new (
    clinic_id       BLOB NOT NULL REFERENCES clinics (id),
    id              BLOB NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note')),
    patient_id      BLOB NOT NULL,
    number          INTEGER,
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    subtotal_minor  INTEGER NOT NULL,
    tax_minor       INTEGER NOT NULL,
    total_minor     INTEGER NOT NULL,
    paid_minor      INTEGER NOT NULL DEFAULT 0,
    credited_minor  INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'partially_paid', 'paid', 'credited', 'void')),
    credit_of       BLOB,
    appointment_id  BLOB,
    payer_id        BLOB,
    due_on          TEXT,
    note            TEXT,
    reason          TEXT,
    issued_at       TEXT,
    issued_by       BLOB,
    void_reason     TEXT,
    voided_at       TEXT,
    voided_by       BLOB,
    created_by      BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT,
    PRIMARY KEY (clinic_id, id),
    CONSTRAINT invoices_number_unique UNIQUE (clinic_id, kind, number),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, credit_of) REFERENCES invoices_new (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    FOREIGN KEY (clinic_id, issued_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, voided_by) REFERENCES memberships (clinic_id, id),
    FOREIGN KEY (clinic_id, created_by) REFERENCES memberships (clinic_id, id),
    CONSTRAINT invoices_number_iff_issued CHECK ((status = 'draft') = (number IS NULL) AND (status = 'draft') = (issued_at IS NULL)),
    CONSTRAINT invoices_sign CHECK ((kind = 'invoice' AND total_minor >= 0) OR (kind = 'credit_note' AND total_minor <= 0)),
    CONSTRAINT invoices_total_is_sum CHECK (subtotal_minor + tax_minor = total_minor),
    CONSTRAINT invoices_never_overpaid CHECK (
        paid_minor >= 0 AND credited_minor >= 0
        AND (kind = 'credit_note' OR paid_minor + credited_minor <= total_minor)
        AND (kind = 'invoice' OR (paid_minor = 0 AND credited_minor = 0))),
    CONSTRAINT invoices_credit_note_refers CHECK ((kind = 'credit_note') = (credit_of IS NOT NULL)),
    CONSTRAINT invoices_void_has_reason CHECK ((status = 'void') = (void_reason IS NOT NULL))
);

INSERT INTO invoices_new (clinic_id, id, kind, patient_id, number, currency, subtotal_minor, tax_minor, total_minor,
                          paid_minor, credited_minor, status, due_on, issued_at, void_reason, voided_at, created_at,
                          updated_at)
SELECT clinic_id, id, 'invoice', patient_id, number, currency, total_minor, 0, total_minor,
       MIN(MAX(paid_minor, 0), total_minor), 0,
       CASE WHEN status = 'void' THEN 'void'
            WHEN paid_minor >= total_minor THEN 'paid'
            WHEN paid_minor > 0 THEN 'partially_paid'
            ELSE 'issued' END,
       date(substr(issued_at, 1, 10), '+30 days'), issued_at,
       CASE WHEN status = 'void' THEN 'Voided before itemised billing.' END,
       CASE WHEN status = 'void' THEN issued_at END,
       created_at, created_at
FROM invoices;

DROP TABLE invoices;
ALTER TABLE invoices_new RENAME TO invoices;

CREATE UNIQUE INDEX invoices_one_per_appointment ON invoices (clinic_id, appointment_id)
    WHERE appointment_id IS NOT NULL AND kind = 'invoice' AND status <> 'void';
CREATE INDEX invoices_patient ON invoices (clinic_id, patient_id, created_at);
CREATE INDEX invoices_issued ON invoices (clinic_id, issued_at);
CREATE INDEX invoices_credit_of ON invoices (clinic_id, credit_of);

CREATE TABLE invoice_lines (
    clinic_id         BLOB NOT NULL REFERENCES clinics (id),
    id                BLOB NOT NULL,
    invoice_id        BLOB NOT NULL,
    position          INTEGER NOT NULL CHECK (position >= 0),
    service_id        BLOB,
    code              TEXT,
    description       TEXT NOT NULL,
    quantity_milli    INTEGER NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor  INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    discount_minor    INTEGER NOT NULL CHECK (discount_minor >= 0),
    tax_rate_bp       INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor         INTEGER NOT NULL,
    tax_minor         INTEGER NOT NULL,
    total_minor       INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, invoice_id, position),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id),
    CHECK (net_minor + tax_minor = total_minor)
);

CREATE TABLE payments (
    clinic_id          BLOB NOT NULL REFERENCES clinics (id),
    id                 BLOB NOT NULL,
    patient_id         BLOB NOT NULL,
    method             TEXT NOT NULL CHECK (method IN ('cash', 'card', 'bank_transfer', 'insurance', 'online')),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    allocated_minor    INTEGER NOT NULL DEFAULT 0,
    refunded_minor     INTEGER NOT NULL DEFAULT 0,
    reference          TEXT,
    receipt_number     INTEGER NOT NULL,
    received_at        TEXT NOT NULL,
    received_by        BLOB,
    provider_event_id  TEXT,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, receipt_number),
    UNIQUE (clinic_id, provider_event_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, received_by) REFERENCES memberships (clinic_id, id),
    CHECK (allocated_minor >= 0 AND refunded_minor >= 0 AND allocated_minor + refunded_minor <= amount_minor)
);
CREATE INDEX payments_patient ON payments (clinic_id, patient_id, received_at);
CREATE INDEX payments_received ON payments (clinic_id, received_at);

CREATE TABLE payment_allocations (
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    id            BLOB NOT NULL,
    payment_id    BLOB NOT NULL,
    invoice_id    BLOB NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor <> 0),
    cause         TEXT NOT NULL CHECK (cause IN ('payment', 'credit_applied', 'refund', 'credit_note')),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, payment_id) REFERENCES payments (clinic_id, id),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id)
);
CREATE INDEX payment_allocations_payment ON payment_allocations (clinic_id, payment_id);
CREATE INDEX payment_allocations_invoice ON payment_allocations (clinic_id, invoice_id);

CREATE TABLE refunds (
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    id            BLOB NOT NULL,
    payment_id    BLOB NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    method        TEXT NOT NULL CHECK (method IN ('cash', 'card', 'bank_transfer', 'insurance', 'online')),
    reason        TEXT NOT NULL,
    refunded_at   TEXT NOT NULL,
    refunded_by   BLOB,
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
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    id           BLOB NOT NULL,
    name         TEXT NOT NULL,
    service_id   BLOB NOT NULL,
    sessions     INTEGER NOT NULL CHECK (sessions BETWEEN 1 AND 200),
    price_minor  INTEGER NOT NULL CHECK (price_minor >= 0),
    tax_rate_bp  INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name),
    FOREIGN KEY (clinic_id, service_id) REFERENCES fee_services (clinic_id, id)
);

CREATE TABLE patient_packages (
    clinic_id       BLOB NOT NULL REFERENCES clinics (id),
    id              BLOB NOT NULL,
    package_id      BLOB NOT NULL,
    patient_id      BLOB NOT NULL,
    invoice_id      BLOB NOT NULL,
    sessions_total  INTEGER NOT NULL CHECK (sessions_total > 0),
    sessions_used   INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, invoice_id),
    FOREIGN KEY (clinic_id, package_id) REFERENCES fee_packages (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, invoice_id) REFERENCES invoices (clinic_id, id),
    CHECK (sessions_used BETWEEN 0 AND sessions_total)
);
CREATE INDEX patient_packages_patient ON patient_packages (clinic_id, patient_id);

CREATE TABLE package_uses (
    clinic_id           BLOB NOT NULL REFERENCES clinics (id),
    id                  BLOB NOT NULL,
    patient_package_id  BLOB NOT NULL,
    appointment_id      BLOB NOT NULL,
    used_at             TEXT NOT NULL,
    used_by             BLOB,
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
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    patient_id       BLOB NOT NULL,
    payer_id         BLOB NOT NULL,
    member_id        TEXT NOT NULL,
    plan             TEXT,
    valid_from       TEXT NOT NULL,
    valid_to         TEXT,
    covered_percent  INTEGER NOT NULL CHECK (covered_percent BETWEEN 0 AND 100),
    created_at       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX patient_coverages_patient ON patient_coverages (clinic_id, patient_id);

CREATE TABLE claims (
    clinic_id             BLOB NOT NULL REFERENCES clinics (id),
    id                    BLOB NOT NULL,
    number                INTEGER NOT NULL,
    invoice_id            BLOB NOT NULL,
    coverage_id           BLOB NOT NULL,
    payer_id              BLOB NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'denied', 'paid')),
    diagnosis_sealed      BLOB NOT NULL,
    procedure_codes       TEXT NOT NULL,
    amount_minor          INTEGER NOT NULL CHECK (amount_minor > 0),
    paid_minor            INTEGER NOT NULL DEFAULT 0,
    denial_reason         TEXT,
    remittance_reference  TEXT,
    payment_id            BLOB,
    created_at            TEXT NOT NULL,
    submitted_at          TEXT,
    decided_at            TEXT,
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

-- The data migration (see the PostgreSQL twin). Legacy ids are random, not
-- UUIDv7: they only need to be unique.
INSERT INTO invoice_lines (clinic_id, id, invoice_id, position, service_id, code, description, quantity_milli,
                           unit_price_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor, created_at)
SELECT clinic_id, randomblob(16), id, 0, NULL, NULL, 'Services (before itemised billing)', 1000,
       total_minor, 0, 0, total_minor, 0, total_minor, created_at
FROM invoices;

CREATE TEMPORARY TABLE legacy_payments AS
SELECT clinic_id, randomblob(16) AS id, id AS invoice_id, patient_id, currency, paid_minor, issued_at, created_at,
       row_number() OVER (PARTITION BY clinic_id ORDER BY number) AS receipt_number
FROM invoices WHERE paid_minor > 0;
INSERT INTO payments (clinic_id, id, patient_id, method, currency, amount_minor, allocated_minor, refunded_minor,
                      reference, receipt_number, received_at, received_by, provider_event_id, created_at)
SELECT clinic_id, id, patient_id, 'bank_transfer', currency, paid_minor, paid_minor, 0,
       'Recorded before itemised billing', receipt_number, issued_at, NULL, NULL, created_at
FROM legacy_payments;
INSERT INTO payment_allocations (clinic_id, id, payment_id, invoice_id, amount_minor, cause, created_at)
SELECT clinic_id, randomblob(16), id, invoice_id, paid_minor, 'payment', created_at FROM legacy_payments;

INSERT INTO billing_counters (clinic_id, id, series, last_number)
SELECT clinic_id, randomblob(16), 'invoice', max(number) FROM invoices GROUP BY clinic_id;
INSERT INTO billing_counters (clinic_id, id, series, last_number)
SELECT clinic_id, randomblob(16), 'receipt', max(receipt_number) FROM legacy_payments GROUP BY clinic_id;
DROP TABLE legacy_payments;

-- Issued documents are final.
CREATE TRIGGER invoices_final_update BEFORE UPDATE ON invoices
WHEN OLD.status <> 'draft' AND (
       NEW.status = 'draft'
    OR OLD.status = 'void'
    OR NEW.clinic_id IS NOT OLD.clinic_id OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind
    OR NEW.patient_id IS NOT OLD.patient_id OR NEW.number IS NOT OLD.number OR NEW.currency IS NOT OLD.currency
    OR NEW.subtotal_minor IS NOT OLD.subtotal_minor OR NEW.tax_minor IS NOT OLD.tax_minor
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.issued_at IS NOT OLD.issued_at
    OR NEW.issued_by IS NOT OLD.issued_by OR NEW.due_on IS NOT OLD.due_on OR NEW.credit_of IS NOT OLD.credit_of
    OR NEW.appointment_id IS NOT OLD.appointment_id OR NEW.payer_id IS NOT OLD.payer_id OR NEW.note IS NOT OLD.note OR NEW.reason IS NOT OLD.reason
    OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by)
BEGIN
    SELECT RAISE(ABORT, 'invoice is issued: its amounts, lines and number are final (issue a credit note or void it)');
END;
CREATE TRIGGER invoices_final_delete BEFORE DELETE ON invoices
WHEN OLD.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoice is issued: it cannot be deleted (issue a credit note or void it)');
END;

CREATE TRIGGER invoice_lines_final_insert BEFORE INSERT ON invoice_lines
WHEN (SELECT status FROM invoices WHERE clinic_id = NEW.clinic_id AND id = NEW.invoice_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoice is issued: its lines are final');
END;
CREATE TRIGGER invoice_lines_final_update BEFORE UPDATE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE clinic_id = OLD.clinic_id AND id = OLD.invoice_id) IS NOT 'draft'
  OR (SELECT status FROM invoices WHERE clinic_id = NEW.clinic_id AND id = NEW.invoice_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoice is issued: its lines are final');
END;
CREATE TRIGGER invoice_lines_final_delete BEFORE DELETE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE clinic_id = OLD.clinic_id AND id = OLD.invoice_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoice is issued: its lines are final');
END;

CREATE TRIGGER payments_final_update BEFORE UPDATE ON payments
WHEN NEW.clinic_id IS NOT OLD.clinic_id OR NEW.id IS NOT OLD.id OR NEW.patient_id IS NOT OLD.patient_id
  OR NEW.method IS NOT OLD.method OR NEW.currency IS NOT OLD.currency OR NEW.amount_minor IS NOT OLD.amount_minor
  OR NEW.receipt_number IS NOT OLD.receipt_number OR NEW.received_at IS NOT OLD.received_at
  OR NEW.received_by IS NOT OLD.received_by OR NEW.provider_event_id IS NOT OLD.provider_event_id
BEGIN
    SELECT RAISE(ABORT, 'payment is final: refund it instead');
END;
CREATE TRIGGER payments_final_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payment is final: refund it instead');
END;
CREATE TRIGGER payment_allocations_no_update BEFORE UPDATE ON payment_allocations
BEGIN
    SELECT RAISE(ABORT, 'payment_allocations is append-only');
END;
CREATE TRIGGER payment_allocations_no_delete BEFORE DELETE ON payment_allocations
BEGIN
    SELECT RAISE(ABORT, 'payment_allocations is append-only');
END;
CREATE TRIGGER refunds_no_update BEFORE UPDATE ON refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds is append-only');
END;
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds is append-only');
END;
