-- Retention (services/runtime/storage/retention.py) finds old rows by time. Rows are
-- appended in time order, so a BRIN index (a few pages, almost free to maintain on
-- the write path) is enough to find them.
CREATE INDEX outbox_created_brin ON outbox USING brin (created_at);
CREATE INDEX processed_events_processed_brin ON processed_events USING brin (processed_at);
