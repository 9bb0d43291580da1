-- An administrator can require a member to set up two-step sign-in again
-- for access to their clinic: the member's authenticator must be newer
-- than this time. The person's own MFA is never cleared by a clinic.
ALTER TABLE memberships ADD COLUMN mfa_reenrol_after TEXT;

-- login_throttle now counts attempts of every kind (sign-in per account,
-- per network, MFA codes, resets, sign-ups): the key names the kind.
-- Counting happens in the database, one UPDATE per attempt, so concurrent
-- attempts can never be lost (see repo/login_throttle.rs).
