-- Scheduling: rooms, appointment types, weekly hours, time off and blocked
-- time, weekly series, the waitlist, and the appointments table extended
-- with type, room, series, status workflow and optimistic concurrency.

-- btree_gist lets one exclusion constraint mix equality on uuids with
-- range overlap. It is a trusted extension (PostgreSQL 13+), so a database
-- owner without superuser may create it too.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Calendar settings on the clinic. opening_hours: WeeklyHours as JSON text
-- (domain/src/scheduling/hours.rs), NULL = no clinic-wide limit.
-- reminder_offsets: JSON array of minutes before (reminders come later).
ALTER TABLE clinics
    ADD COLUMN grid_minutes     integer NOT NULL DEFAULT 15 CHECK (grid_minutes IN (5, 10, 15)),
    ADD COLUMN opening_hours    text,
    ADD COLUMN reminder_offsets text NOT NULL DEFAULT '[1440]';

CREATE TABLE rooms (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

CREATE TABLE appointment_types (
    clinic_id         uuid NOT NULL REFERENCES clinics (id),
    id                uuid NOT NULL,
    name              text NOT NULL,
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    buffer_minutes    integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    colour            text NOT NULL,
    price_minor       bigint,
    online_booking    boolean NOT NULL DEFAULT false,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, name)
);

-- Which practitioners deliver a type. No rows for a type: everyone does.
CREATE TABLE appointment_type_practitioners (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    type_id          uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, type_id, practitioner_id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);

CREATE TABLE practitioner_hours (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    hours            text NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    UNIQUE (clinic_id, practitioner_id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);

CREATE TABLE time_off (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('leave', 'blocked')),
    reason           text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX time_off_practitioner ON time_off (clinic_id, practitioner_id, starts_at);

CREATE TABLE appointment_series (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    patient_id       uuid NOT NULL,
    type_id          uuid NOT NULL,
    room_id          uuid,
    rrule            text NOT NULL,
    first_local      text NOT NULL,
    time_zone        text NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, room_id) REFERENCES rooms (clinic_id, id)
);

-- Existing rows are rewritten below by the owner. With FORCEd row-level
-- security and no app.clinic_id set, the owner would see no rows at all
-- (unless it is a superuser), so FORCE is lifted for the data migration
-- and restored at the end of this migration.
ALTER TABLE appointments NO FORCE ROW LEVEL SECURITY;

-- The free-text appointment kinds become appointment types, one per kind
-- and clinic (30 minutes, grey); existing appointments keep their times.
INSERT INTO appointment_types (clinic_id, id, name, duration_minutes, buffer_minutes, colour, price_minor,
                               online_booking, active, created_at, updated_at)
SELECT clinic_id, gen_random_uuid(), kind, 30, 0, '#64748b', NULL, false, true, min(created_at), min(created_at)
FROM appointments GROUP BY clinic_id, kind;

-- blocks_until = ends_at + the type's buffer at booking time (see the
-- SQLite twin); version: optimistic concurrency for moves.
ALTER TABLE appointments
    ADD COLUMN type_id         uuid,
    ADD COLUMN room_id         uuid,
    ADD COLUMN series_id       uuid,
    ADD COLUMN blocks_until    timestamptz,
    ADD COLUMN cancel_reason   text,
    ADD COLUMN notes           text,
    ADD COLUMN override_reason text,
    ADD COLUMN updated_at      timestamptz,
    ADD COLUMN version         bigint NOT NULL DEFAULT 1;

UPDATE appointments a
SET type_id = t.id,
    blocks_until = a.ends_at,
    status = CASE WHEN a.status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed', 'cancelled',
                                    'late_cancelled', 'no_show') THEN a.status ELSE 'booked' END
FROM appointment_types t
WHERE t.clinic_id = a.clinic_id AND t.name = a.kind;

-- Appointments that already overlapped before these rules existed are
-- marked like an override, so the exclusion constraint below can be added.
UPDATE appointments a SET override_reason = 'Booked before double-booking checks existed.'
WHERE a.status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')
  AND EXISTS (SELECT 1 FROM appointments b
              WHERE b.clinic_id = a.clinic_id AND b.practitioner_id = a.practitioner_id AND b.id <> a.id
                AND b.status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')
                AND b.starts_at < a.blocks_until AND a.starts_at < b.blocks_until);

ALTER TABLE appointments
    ALTER COLUMN type_id SET NOT NULL,
    ALTER COLUMN blocks_until SET NOT NULL,
    DROP COLUMN kind,
    ADD CONSTRAINT appointments_type_fk FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    ADD CONSTRAINT appointments_room_fk FOREIGN KEY (clinic_id, room_id) REFERENCES rooms (clinic_id, id),
    ADD CONSTRAINT appointments_series_fk FOREIGN KEY (clinic_id, series_id) REFERENCES appointment_series (clinic_id, id),
    ADD CONSTRAINT appointments_status_check CHECK (status IN ('booked', 'confirmed', 'arrived', 'in_consultation',
                                                               'completed', 'cancelled', 'late_cancelled', 'no_show')),
    ADD CONSTRAINT appointments_blocks_check CHECK (blocks_until >= ends_at);

-- The database's own backstop against double booking, beside the service's
-- serialized check (row locks on practitioner, room and patient): two
-- active, non-overridden appointments of one practitioner (or in one room)
-- can never overlap, buffers included. DEFERRED to commit, so moving a
-- whole series (each occurrence onto a later one's old time) is judged on
-- the end result, not on each intermediate row.
ALTER TABLE appointments ADD CONSTRAINT appointments_practitioner_no_overlap
    EXCLUDE USING gist (clinic_id WITH =, practitioner_id WITH =, tstzrange(starts_at, blocks_until) WITH &&)
    WHERE (status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed') AND override_reason IS NULL)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE appointments ADD CONSTRAINT appointments_room_no_overlap
    EXCLUDE USING gist (clinic_id WITH =, room_id WITH =, tstzrange(starts_at, blocks_until) WITH &&)
    WHERE (room_id IS NOT NULL AND status IN ('booked', 'confirmed', 'arrived', 'in_consultation', 'completed')
           AND override_reason IS NULL)
    DEFERRABLE INITIALLY DEFERRED;

CREATE INDEX appointments_practitioner ON appointments (clinic_id, practitioner_id, starts_at);
CREATE INDEX appointments_room ON appointments (clinic_id, room_id, starts_at);
CREATE INDEX appointments_patient ON appointments (clinic_id, patient_id, starts_at);
CREATE INDEX appointments_series ON appointments (clinic_id, series_id, starts_at);

ALTER TABLE appointments FORCE ROW LEVEL SECURITY;

CREATE TABLE waitlist (
    clinic_id               uuid NOT NULL REFERENCES clinics (id),
    id                      uuid NOT NULL,
    patient_id              uuid NOT NULL,
    type_id                 uuid NOT NULL,
    practitioner_id         uuid,
    earliest                date NOT NULL,
    latest                  date NOT NULL,
    note                    text,
    created_at              timestamptz NOT NULL,
    offered_appointment_id  uuid,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, type_id) REFERENCES appointment_types (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, offered_appointment_id) REFERENCES appointments (clinic_id, id),
    CHECK (latest >= earliest)
);
CREATE INDEX waitlist_type ON waitlist (clinic_id, type_id, earliest);

-- Row-level security, FORCEd, on every new clinic-owned table (as in
-- 20261123000001_trust.sql), and the application role's grants.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rooms', 'appointment_types', 'appointment_type_practitioners', 'practitioner_hours',
                             'time_off', 'appointment_series', 'waitlist']
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
