-- Sign-up with a verified email address: the form's answer is the same for
-- a known and an unknown address; the clinic is created only when the link
-- mailed to the address is used. Not clinic data: no clinic exists yet.
CREATE TABLE signup_requests (
    id             TEXT NOT NULL PRIMARY KEY,   -- sha-256 of the link's token
    email          TEXT NOT NULL,
    clinic_name    TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    owner_name     TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
);
CREATE INDEX signup_requests_email ON signup_requests (email);
