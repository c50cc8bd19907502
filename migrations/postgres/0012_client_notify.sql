-- Every change to a client registration, whoever makes it (a replica, the
-- CLI, an operator's SQL), is announced on the channel ostiary_clients with
-- the client's id, delivered when the transaction commits. Each replica
-- LISTENs and drops its cached copy, so a deleted client or a removed
-- redirect URI stops working everywhere at once instead of after the cache's
-- lifetime.
CREATE FUNCTION ostiary_notify_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('ostiary_clients', OLD.id);
    ELSE
        PERFORM pg_notify('ostiary_clients', NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER clients_notify AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION ostiary_notify_client();
