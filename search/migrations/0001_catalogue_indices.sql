-- The catalogue indices the indexer writes to, per read alias.
--
-- 'live' is the index behind the read alias; 'building' is one a rebuild is filling.
-- The live indexer writes every event to all of them. It reads this table FOR SHARE in
-- the transaction that applies the event, and a rebuild takes the rows FOR UPDATE to
-- swap: so once the swap has committed no indexer can still be writing to the old
-- index, and deleting it cannot race a write that would re-create it.
CREATE TABLE catalogue_indices (
    index_name      text PRIMARY KEY,
    alias           text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('live', 'building')),
    mapping_version integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalogue_indices_alias ON catalogue_indices (alias);
