-- An auction asks the patent register to reserve its lot (a reservation in a saga): it
-- waits in 'pending' for the decision, then is 'scheduled' or 'refused' (with the rule).
ALTER TABLE auctions ADD COLUMN reservation_id text;
ALTER TABLE auctions ADD COLUMN refusal jsonb;  -- {rule, detail, status, field}
DROP INDEX auctions_one_running_per_listing;
CREATE UNIQUE INDEX auctions_one_running_per_listing ON auctions (listing_id)
    WHERE status IN ('pending', 'scheduled', 'open', 'closed_won', 'pending_export_review');
