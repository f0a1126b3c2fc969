-- The patent register decides every declaration now (a reservation in a saga): a
-- declaration waits in 'pending' for its decision, and is 'refused' (with the rule) or
-- 'in_force'; later 'suspended' (fee unpaid, proceedings suspended), 'ended' (the patent
-- changed hands or stopped being in force) or 'withdrawn'.
ALTER TABLE declarations ADD COLUMN reservation_id text;
ALTER TABLE declarations ADD COLUMN refusal jsonb;  -- {rule, detail, status, field}
ALTER TABLE declarations ADD COLUMN ended_reason text;
DROP INDEX declarations_one_in_force;
CREATE UNIQUE INDEX declarations_one_in_force ON declarations (patent_id)
    WHERE status IN ('pending', 'in_force', 'suspended');

-- Read models the declaration rules were decided from; the register decides them now.
DROP TABLE listing_patents;
DROP TABLE listings;
DROP TABLE running_auctions;
DROP TABLE pledges;
DROP TABLE exclusive_licences;
