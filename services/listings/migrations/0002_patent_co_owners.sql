-- Co-owners (共有人) of a patent: an open licence needs every one's consent
-- (Patent Law art. 14 and art. 50), so the licences context learns them from the
-- register's events.
ALTER TABLE patents ADD COLUMN co_owner_org_ids text[] NOT NULL DEFAULT '{}';
