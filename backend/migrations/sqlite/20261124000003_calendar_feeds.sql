-- Private iCalendar feeds, one live token per practitioner. Only the
-- token's SHA-256 is stored (like sessions); revoking sets revoked_at.
CREATE TABLE calendar_feeds (
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    id               BLOB NOT NULL,
    practitioner_id  BLOB NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    revoked_at       TEXT,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id)
);
CREATE UNIQUE INDEX calendar_feeds_live ON calendar_feeds (clinic_id, practitioner_id) WHERE revoked_at IS NULL;
