-- 质物处置: an auction by a pledgee of the patents of a pledge in default (the register
-- lists them for it), with holders of a priority purchase right, relisting and 变卖.
ALTER TABLE auctions ADD COLUMN disposes text;                   -- the pledge disposed of
ALTER TABLE auctions ADD COLUMN beneficiary_org_id text;         -- the pledgee, paid first
ALTER TABLE auctions ADD COLUMN priority_holders text[] NOT NULL DEFAULT '{}';
ALTER TABLE auctions ADD COLUMN patent_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE auctions ADD COLUMN leader_priority boolean NOT NULL DEFAULT false;
