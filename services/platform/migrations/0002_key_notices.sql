-- Every change of an API key (a revocation above all) reaches every process's key cache
-- at commit (services/runtime/auth.py, KeyCache): the payload is the key's id.
CREATE FUNCTION api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('psm_api_key_changed', OLD.id);
    ELSE
        PERFORM pg_notify('psm_api_key_changed', NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER api_key_changed AFTER UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_key_changed();
