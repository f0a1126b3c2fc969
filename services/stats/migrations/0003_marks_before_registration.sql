-- A patent's listing or deal may arrive here before its registration (they travel on
-- different topics): the mark is kept on a row whose owner is not known yet, and the
-- registration fills it in. Rows without an owner are not counted as registered.
ALTER TABLE patents ALTER COLUMN owner_org_id DROP NOT NULL;
