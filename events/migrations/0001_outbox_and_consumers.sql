-- The event plumbing's tables, created in every service schema (search_path is set
-- to that schema while this runs).

-- Per-aggregate sequence: allocated in the same transaction as the state change, so
-- the row lock on the aggregate's counter serialises writers to one aggregate and the
-- numbers are gap-free.
CREATE TABLE aggregate_sequences (
    subject       text PRIMARY KEY,
    last_sequence integer NOT NULL
);

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    topic        text        NOT NULL,
    subject      text        NOT NULL,
    sequence     integer     NOT NULL,
    event_id     uuid        NOT NULL UNIQUE,
    event        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz,
    UNIQUE (subject, sequence)
);
-- The relay reads only what is not yet published.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Consumers: an event's effect and its record here commit together (idempotency).
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Consumers: the last sequence applied per aggregate, to ignore stale events and to
-- notice gaps.
CREATE TABLE consumer_positions (
    consumer      text    NOT NULL,
    subject       text    NOT NULL,
    last_sequence integer NOT NULL,
    PRIMARY KEY (consumer, subject)
);

-- Consumers: an event that arrived ahead of its predecessor waits here until the
-- predecessor has been applied (never applied out of order, never dropped).
CREATE TABLE parked_events (
    consumer  text        NOT NULL,
    subject   text        NOT NULL,
    sequence  integer     NOT NULL,
    event     jsonb       NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, subject, sequence)
);
