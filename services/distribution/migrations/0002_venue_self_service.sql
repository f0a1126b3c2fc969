-- Venues as the best webhook platforms run them (issue 17): self-service edits and
-- deletion, secret rotation with an overlap, responses honoured (410 disables, 429/5xx
-- throttle with Retry-After), a per-venue rate limit, opt-in event types, and notices
-- in the inbox.
ALTER TABLE endpoints
    ADD COLUMN previous_secret        text,          -- still signed with until previous_secret_until
    ADD COLUMN previous_secret_until  timestamptz,
    ADD COLUMN rate_limit_per_s       numeric,       -- NULL: no limit of the venue's own
    ADD COLUMN throttled_until        timestamptz,   -- the receiver asked us to slow down
    ADD COLUMN failing_since          timestamptz,   -- first failed round since the last success
    ADD COLUMN disabled_at            timestamptz,
    ADD COLUMN disabled_reason        text,
    ADD COLUMN deleted_at             timestamptz;

ALTER TABLE venues
    ADD COLUMN event_types  text[] NOT NULL DEFAULT '{}',  -- opt-in types it also wants
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();

-- A deleted endpoint's queue is dropped: status 'dropped'.
-- An inbox item is a pushed listing or a notice (e.g. "your webhook was disabled").
ALTER TABLE pushes
    ALTER COLUMN listing_id DROP NOT NULL,
    ALTER COLUMN listing DROP NOT NULL,
    ADD COLUMN kind    text NOT NULL DEFAULT 'push',   -- push | notice
    ADD COLUMN notice  jsonb;

CREATE INDEX deliveries_pending_age ON deliveries (endpoint_id, created_at) WHERE status = 'pending';

ALTER TABLE subscriptions ADD COLUMN deleted_at timestamptz;  -- deleted: gone from the API, never matched again
