-- Keys apart from data (docs/security.md). `wrapping` says what wraps a data
-- key: 1, the master key (the system key; clinic keys from before this
-- migration until the start-up upkeep moves them); 2, the clinic's KEK,
-- which lives in the key store outside the database.
ALTER TABLE data_keys ADD COLUMN wrapping integer NOT NULL DEFAULT 1 CHECK (wrapping IN (1, 2));

-- The application role may read data keys but not write them: its only
-- writes are these three functions, which run as the owner (SECURITY
-- DEFINER, fixed search_path) and can only create a live key, destroy a
-- clinic's keys, or re-wrap a live key (forward only). No statement of the
-- application can bring a destroyed key back, move a key to another clinic
-- or delete a row.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON data_keys FROM ambula_app;

CREATE FUNCTION data_key_insert(p_id uuid, p_clinic uuid, p_wrapped bytea, p_master text, p_wrapping integer, p_at timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_wrapped IS NULL THEN
        RAISE EXCEPTION 'data_keys: a data key is created live';
    END IF;
    INSERT INTO data_keys (id, clinic_id, wrapped, master_key_id, wrapping, created_at)
    VALUES (p_id, p_clinic, p_wrapped, p_master, p_wrapping, p_at);
END
$$;

CREATE FUNCTION data_key_destroy(p_clinic uuid, p_at timestamptz)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
    UPDATE data_keys SET wrapped = NULL, destroyed_at = p_at WHERE clinic_id = p_clinic AND wrapped IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

CREATE FUNCTION data_key_rewrap(p_id uuid, p_wrapped bytea, p_master text, p_wrapping integer)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_wrapped IS NULL THEN
        RAISE EXCEPTION 'data_keys: re-wrapping does not destroy (use data_key_destroy)';
    END IF;
    UPDATE data_keys SET wrapped = p_wrapped, master_key_id = p_master, wrapping = p_wrapping
    WHERE id = p_id AND wrapped IS NOT NULL AND destroyed_at IS NULL AND p_wrapping >= wrapping;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION data_key_insert(uuid, uuid, bytea, text, integer, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION data_key_destroy(uuid, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION data_key_rewrap(uuid, bytea, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION data_key_insert(uuid, uuid, bytea, text, integer, timestamptz) TO ambula_app;
GRANT EXECUTE ON FUNCTION data_key_destroy(uuid, timestamptz) TO ambula_app;
GRANT EXECUTE ON FUNCTION data_key_rewrap(uuid, bytea, text, integer) TO ambula_app;
