-- A receipt sums a payment's allocations per invoice, and a credit note or
-- refund a invoice's per payment (repo/payments.rs: `WHERE payment_id = ?
-- GROUP BY invoice_id`, and the reverse). With (clinic_id, payment_id) and
-- (clinic_id, invoice_id) indexes, SQLite's planner (no statistics) chose
-- the other index for its GROUP BY order and read all of the clinic's
-- allocations for every payment taken (found by the billing benchmark, see
-- docs/benchmarks.md). Each index now also carries the grouping column, so
-- the lookup is an equality and the groups come in index order. Same
-- indexes on PostgreSQL, so both schemas stay alike.
DROP INDEX payment_allocations_payment;
DROP INDEX payment_allocations_invoice;
CREATE INDEX payment_allocations_payment ON payment_allocations (clinic_id, payment_id, invoice_id);
CREATE INDEX payment_allocations_invoice ON payment_allocations (clinic_id, invoice_id, payment_id);
