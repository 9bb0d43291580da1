-- Security events get forced row-level security like every clinic table,
-- and become append-only for the application.
--
-- A row has a nullable clinic_id (sign-in attempts and password resets
-- happen before any clinic is chosen) and the user it concerns. Reading:
--   * a clinic (app.clinic_id) sees its own events, and the clinic-less
--     events of its members (memberships is itself filtered to the clinic);
--   * a person (app.user_id, set by `Tx::as_user` from a verified session)
--     sees their own events in every clinic.
-- Writing: a clinic-less event, an event of the clinic in scope, or an
-- event of the acting user in one of their own clinics.
ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_events FORCE ROW LEVEL SECURITY;

CREATE POLICY clinic_events ON security_events FOR SELECT
    USING (
        clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid
        OR (clinic_id IS NULL AND user_id IN (
            SELECT m.user_id FROM memberships m
            WHERE m.clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid))
    );
CREATE POLICY own_events ON security_events FOR SELECT
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY record_events ON security_events FOR INSERT
    WITH CHECK (
        clinic_id IS NULL
        OR clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid
        OR (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid
            AND clinic_id IN (SELECT m.clinic_id FROM memberships m WHERE m.user_id = security_events.user_id))
    );

REVOKE UPDATE, DELETE, TRUNCATE ON security_events FROM ambula_app;
