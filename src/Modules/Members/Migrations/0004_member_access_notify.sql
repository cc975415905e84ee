-- The member check trusts an account's status and role for minutes on an instance that listens on member_access
-- (MemberAccessListener), which forgets the member named in each notification. The database announces the change, not
-- the admin endpoint, so every path that changes an account (the endpoint, an operator's SQL) is felt at once on every
-- instance. A notification is delivered when its transaction commits, and only sent when a value the check reads
-- actually changed or the account is gone.
CREATE FUNCTION members.notify_member_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('member_access', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER members_access_changed
    AFTER UPDATE OF status, role ON members.members
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION members.notify_member_access();

CREATE TRIGGER members_access_removed
    AFTER DELETE ON members.members
    FOR EACH ROW EXECUTE FUNCTION members.notify_member_access();
