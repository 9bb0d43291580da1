-- Keys apart from data (docs/security.md). `wrapping` says what wraps a data
-- key: 1, the master key (the system key; clinic keys from before this
-- migration until the start-up upkeep moves them); 2, the clinic's KEK,
-- which lives in the key store outside the database.
ALTER TABLE data_keys ADD COLUMN wrapping INTEGER NOT NULL DEFAULT 1 CHECK (wrapping IN (1, 2));

-- SQLite has no roles, so it cannot tell the key service from any other
-- statement. These triggers refuse every change the key service never
-- makes: a key is created live, keeps its id, clinic and creation time,
-- is destroyed whole (wrapped cleared and the time recorded), never comes
-- back, never moves back to master wrapping, and is never deleted.
CREATE TRIGGER data_keys_created_live BEFORE INSERT ON data_keys
WHEN NEW.wrapped IS NULL OR NEW.destroyed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'data_keys: a data key is created live');
END;

CREATE TRIGGER data_keys_never_deleted BEFORE DELETE ON data_keys
BEGIN
    SELECT RAISE(ABORT, 'data_keys: rows are never deleted (destroy the key instead)');
END;

CREATE TRIGGER data_keys_fixed_identity BEFORE UPDATE ON data_keys
WHEN NEW.id IS NOT OLD.id OR NEW.clinic_id IS NOT OLD.clinic_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'data_keys: a data key keeps its id, clinic and creation time');
END;

CREATE TRIGGER data_keys_destroyed_for_good BEFORE UPDATE ON data_keys
WHEN OLD.wrapped IS NULL OR OLD.destroyed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'data_keys: a destroyed data key cannot change');
END;

CREATE TRIGGER data_keys_destroyed_whole BEFORE UPDATE ON data_keys
WHEN (NEW.wrapped IS NULL) <> (NEW.destroyed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'data_keys: destroying a key clears it and records when, together');
END;

CREATE TRIGGER data_keys_wrapping_forward BEFORE UPDATE ON data_keys
WHEN NEW.wrapping < OLD.wrapping
BEGIN
    SELECT RAISE(ABORT, 'data_keys: a clinic key never goes back to master wrapping');
END;
