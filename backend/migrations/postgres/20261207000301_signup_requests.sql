-- Sign-up with a verified email address: the form's answer is the same for
-- a known and an unknown address; the clinic is created only when the link
-- mailed to the address is used. Not clinic data: no clinic exists yet.
CREATE TABLE signup_requests (
    id             text NOT NULL PRIMARY KEY,   -- sha-256 of the link's token
    email          text NOT NULL,
    clinic_name    text NOT NULL,
    time_zone      text NOT NULL,
    owner_name     text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX signup_requests_email ON signup_requests (email);
GRANT SELECT, INSERT, UPDATE, DELETE ON signup_requests TO ambula_app;
