-- The lot's whole listing snapshot, so that psm.auction.scheduled.v1 carries it and
-- read models (the catalogue) need no other topic to describe the auction.
ALTER TABLE listings ADD COLUMN snapshot jsonb;
