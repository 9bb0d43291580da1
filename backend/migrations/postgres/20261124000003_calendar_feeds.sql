-- Private iCalendar feeds, one live token per practitioner. Only the
-- token's SHA-256 is stored (like sessions); revoking sets revoked_at.
CREATE TABLE calendar_feeds (
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    token_hash       text NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);
CREATE UNIQUE INDEX calendar_feeds_live ON calendar_feeds (clinic_id, practitioner_id) WHERE revoked_at IS NULL;

ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON calendar_feeds
    USING (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid)
    WITH CHECK (clinic_id = NULLIF(current_setting('app.clinic_id', true), '')::uuid);
-- Whoever holds a feed URL may read that one feed row (to learn its clinic
-- and practitioner); the appointments are then read inside that clinic.
CREATE POLICY feed_by_token ON calendar_feeds FOR SELECT
    USING (token_hash = NULLIF(current_setting('app.feed_token_hash', true), ''));
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_feeds TO ambula_app;
