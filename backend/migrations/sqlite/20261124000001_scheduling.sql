-- SQLite twin of migrations/postgres/20261124000001_scheduling.sql: rooms,
-- appointment types, weekly hours, time off, series, the waitlist, and the
-- appointments table rebuilt with its scheduling columns. SQLite cannot add
-- a composite foreign key to an existing table, hence the rebuild (the data
-- is copied over; nothing references appointments yet).

-- Calendar settings on the clinic (one row per clinic already exists).
-- opening_hours: WeeklyHours as JSON (domain/src/scheduling/hours.rs); NULL
-- means the clinic sets no hours of its own, only practitioners do.
-- reminder_offsets: JSON array of minutes before an appointment (reminders
-- come later; stored now so the settings page has one home).
ALTER TABLE clinics ADD COLUMN grid_minutes INTEGER NOT NULL DEFAULT 15 CHECK (grid_minutes IN (5, 10, 15));
ALTER TABLE clinics ADD COLUMN opening_hours TEXT;
ALTER TABLE clinics ADD COLUMN reminder_offsets TEXT NOT NULL DEFAULT '[1440]';

CREATE TABLE rooms (
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

CREATE TABLE appointment_types (
    clinic_id         BLOB NOT NULL REFERENCES clinics (id),
    id                BLOB NOT NULL,
    name              TEXT NOT NULL,
    duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    buffer_minutes    INTEGER NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    colour            TEXT NOT NULL,
    price_minor       INTEGER,
    online_booking    INTEGER NOT NULL DEFAULT 0,
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

-- Which practitioners deliver a type. No rows for a type: everyone does.
CREATE TABLE appointment_type_practitioners (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    type_id          BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, type_id, practitioner_id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);

-- Weekly hours in local wall-clock time, as WeeklyHours JSON.
CREATE TABLE practitioner_hours (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    hours            TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, practitioner_id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);

-- Leave (holidays, training) and blocked time (meetings, admin) in UTC.
CREATE TABLE time_off (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('leave', 'blocked')),
    reason           TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX time_off_practitioner ON time_off (clinic_id, practitioner_id, starts_at);

-- A weekly series: the rule and the first start in local time (the zone's
-- clock, so 09:00 stays 09:00 across DST).
CREATE TABLE appointment_series (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    patient_id       BLOB NOT NULL,
    type_id          BLOB NOT NULL,
    room_id          BLOB,
    rrule            TEXT NOT NULL,
    first_local      TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, room_id) REFERENCES rooms (clinic_id, id)
);

-- The free-text appointment kinds become appointment types, one per kind
-- and clinic (30 minutes, grey); existing appointments keep their times.
INSERT INTO appointment_types (clinic_id, id, name, duration_minutes, buffer_minutes, colour, price_minor,
                               online_booking, active, created_at, updated_at)
SELECT clinic_id, randomblob(16), kind, 30, 0, '#64748b', NULL, 0, 1, MIN(created_at), MIN(created_at)
FROM appointments GROUP BY clinic_id, kind;

-- blocks_until = ends_at + the type's buffer at booking time: the span the
-- appointment keeps the practitioner and room busy. Stored, so changing a
-- type's buffer later does not move existing appointments' footprints,
-- and the clash query is a plain range comparison.
-- version: optimistic concurrency for moves (a stale calendar cannot
-- overwrite a newer move).
-- override_reason: set when booked over a clash or outside hours.
CREATE TABLE appointments_new (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    patient_id       BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    type_id          BLOB NOT NULL,
    room_id          BLOB,
    series_id        BLOB,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    blocks_until     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed',
                                                     'cancelled', 'late_cancelled', 'no_show')),
    cancel_reason    TEXT,
    notes            TEXT,
    override_reason  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, room_id) REFERENCES rooms (clinic_id, id),
    FOREIGN KEY (clinic_id, series_id) REFERENCES appointment_series (clinic_id, id),
    CHECK (ends_at > starts_at),
    CHECK (blocks_until >= ends_at)
);
INSERT INTO appointments_new (clinic_id, id, patient_id, practitioner_id, type_id, starts_at, ends_at, blocks_until,
                              status, created_at, version)
SELECT a.clinic_id, a.id, a.patient_id, a.practitioner_id, t.id, a.starts_at, a.ends_at, a.ends_at,
       CASE WHEN a.status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed', 'cancelled',
                              'late_cancelled', 'no_show') THEN a.status ELSE 'booked' END,
       a.created_at, 1
FROM appointments a JOIN appointment_types t ON t.clinic_id = a.clinic_id AND t.name = a.kind;
DROP TABLE appointments;
ALTER TABLE appointments_new RENAME TO appointments;

-- Appointments that already overlapped before these rules existed are
-- marked, like an override, so they stay visible as such.
UPDATE appointments SET override_reason = 'Booked before double-booking checks existed.'
WHERE status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')
  AND EXISTS (SELECT 1 FROM appointments b
              WHERE b.clinic_id = appointments.clinic_id AND b.practitioner_id = appointments.practitioner_id
                AND b.id <> appointments.id
                AND b.status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')
                AND b.starts_at < appointments.blocks_until AND appointments.starts_at < b.blocks_until);

-- The day view (all columns), and clash checks per practitioner, room and patient.
CREATE INDEX appointments_day ON appointments (clinic_id, starts_at);
CREATE INDEX appointments_practitioner ON appointments (clinic_id, practitioner_id, starts_at);
CREATE INDEX appointments_room ON appointments (clinic_id, room_id, starts_at);
CREATE INDEX appointments_patient ON appointments (clinic_id, patient_id, starts_at);
CREATE INDEX appointments_series ON appointments (clinic_id, series_id, starts_at);

CREATE TABLE waitlist (
    clinic_id               BLOB NOT NULL REFERENCES clinics (id),
    id                      BLOB NOT NULL,
    patient_id              BLOB NOT NULL,
    type_id                 BLOB NOT NULL,
    practitioner_id         BLOB,
    earliest                TEXT NOT NULL,
    latest                  TEXT NOT NULL,
    note                    TEXT,
    created_at              TEXT NOT NULL,
    offered_appointment_id  BLOB,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, offered_appointment_id) REFERENCES appointments (clinic_id, id),
    CHECK (latest >= earliest)
);
CREATE INDEX waitlist_type ON waitlist (clinic_id, type_id, earliest);
