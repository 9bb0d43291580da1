-- Appointment reminders: which channels a clinic uses (the offsets are
-- clinics.reminder_offsets, minutes before), each patient's opt-out per
-- channel, and the durable outbox the delivery loop works through.

-- JSON array of "email" / "sms".
ALTER TABLE clinics ADD COLUMN reminder_channels TEXT NOT NULL DEFAULT '["email"]';
-- Opt-outs: 1 = the patient wants reminders on this channel.
ALTER TABLE patients ADD COLUMN reminder_email INTEGER NOT NULL DEFAULT 1;
ALTER TABLE patients ADD COLUMN reminder_sms INTEGER NOT NULL DEFAULT 1;

-- One row per message. The unique key (appointment, its start, offset,
-- channel) means a message is never enqueued twice; a moved appointment
-- has a new start and gets new rows, its old ones are skipped. A worker
-- claims a row by setting lease_token/lease_until; nobody else takes it
-- until the lease runs out.
CREATE TABLE reminder_outbox (
    clinic_id              BLOB NOT NULL REFERENCES clinics (id),
    id                     BLOB NOT NULL,
    appointment_id         BLOB NOT NULL,
    appointment_starts_at  TEXT NOT NULL,
    offset_minutes         INTEGER NOT NULL CHECK (offset_minutes > 0),
    channel                TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    due_at                 TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts               INTEGER NOT NULL DEFAULT 0,
    next_attempt_at        TEXT NOT NULL,
    lease_token            BLOB,
    lease_until            TEXT,
    last_error             TEXT,
    sent_at                TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, appointment_id, appointment_starts_at, offset_minutes, channel),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id)
);
CREATE INDEX reminder_outbox_due ON reminder_outbox (clinic_id, status, next_attempt_at);
