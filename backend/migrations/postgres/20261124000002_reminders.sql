-- Appointment reminders: which channels a clinic uses (the offsets are
-- clinics.reminder_offsets, minutes before), each patient's opt-out per
-- channel, and the durable outbox the delivery loop works through.

-- JSON array of "email" / "sms".
ALTER TABLE clinics ADD COLUMN reminder_channels text NOT NULL DEFAULT '["email"]';
-- Opt-outs: true = the patient wants reminders on this channel.
ALTER TABLE patients
    ADD COLUMN reminder_email boolean NOT NULL DEFAULT true,
    ADD COLUMN reminder_sms   boolean NOT NULL DEFAULT true;

-- One row per message. The unique key (appointment, its start, offset,
-- channel) means a message is never enqueued twice; a moved appointment
-- has a new start and gets new rows, its old ones are skipped. A worker
-- claims a row by setting lease_token/lease_until; nobody else takes it
-- until the lease runs out.
CREATE TABLE reminder_outbox (
    clinic_id              uuid NOT NULL REFERENCES clinics (id),
    id                     uuid NOT NULL,
    appointment_id         uuid NOT NULL,
    appointment_starts_at  timestamptz NOT NULL,
    offset_minutes         integer NOT NULL CHECK (offset_minutes > 0),
    channel                text NOT NULL CHECK (channel IN ('email', 'sms')),
    due_at                 timestamptz NOT NULL,
    status                 text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts               integer NOT NULL DEFAULT 0,
    next_attempt_at        timestamptz NOT NULL,
    lease_token            uuid,
    lease_until            timestamptz,
    last_error             text,
    sent_at                timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, appointment_id, appointment_starts_at, offset_minutes, channel),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id)
);
CREATE INDEX reminder_outbox_due ON reminder_outbox (clinic_id, status, next_attempt_at);

ALTER TABLE reminder_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON reminder_outbox
    USING (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid)
    WITH CHECK (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON reminder_outbox TO ambula_app;
