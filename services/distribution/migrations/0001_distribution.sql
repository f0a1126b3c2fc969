-- Distribution (DESIGN §10): venues, the change log, per-endpoint delivery queues,
-- enterprise subscriptions, pushes (inbox) and their feedback.

-- Where deliveries go: a venue's webhook, or an enterprise subscription's webhook.
-- The lease keeps one worker per endpoint at a time (several processes may run).
CREATE TABLE endpoints (
    id                   text PRIMARY KEY,          -- the venue's or subscription's id
    kind                 text        NOT NULL,      -- venue | subscription
    owner_org_id         text        NOT NULL,
    url                  text,                      -- NULL: feed only, nothing is queued
    secret               text        NOT NULL,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    paused_until         timestamptz,
    lease_owner          text,
    lease_until          timestamptz
);

CREATE TABLE venues (
    id          text PRIMARY KEY REFERENCES endpoints (id),
    org_id      text        NOT NULL,
    filter      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venues_org ON venues (org_id, created_at, id);

-- The ordered change log. ``seq`` is gap-free: taken from change_log_counter, whose row
-- stays locked until the appending transaction commits, so seq N+1 can never become
-- visible before seq N (a bigserial would: sequences are not transactional).
CREATE TABLE change_log_counter (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_seq  bigint  NOT NULL
);
INSERT INTO change_log_counter VALUES (true, 0);

CREATE TABLE changes (
    seq          bigint PRIMARY KEY,
    subject      text        NOT NULL,
    change_type  text        NOT NULL,
    event_id     uuid        NOT NULL UNIQUE,
    attributes   jsonb       NOT NULL,
    snapshot     jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_recorded ON changes (recorded_at, seq);

-- One queue per endpoint. ``id`` is the webhook-id, the same on every try and replay.
-- ``position`` orders one endpoint's deliveries of one subject (the change's seq).
CREATE TABLE deliveries (
    id               text PRIMARY KEY,
    endpoint_id      text        NOT NULL REFERENCES endpoints (id),
    subject          text        NOT NULL,
    position         bigint      NOT NULL,
    change_type      text        NOT NULL,
    body             jsonb       NOT NULL,
    status           text        NOT NULL DEFAULT 'pending',  -- pending | delivered | dead
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    last_status      integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    latency_ms       integer,
    UNIQUE (endpoint_id, subject, position)
);
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subject ON deliveries (endpoint_id, subject, position) WHERE status = 'pending';
CREATE INDEX deliveries_log ON deliveries (endpoint_id, created_at, id);

-- Read models of other contexts: organisations (kind), listings (for auction and
-- roadshow changes, and the owner a push's feedback goes to).
CREATE TABLE orgs (
    id    text PRIMARY KEY,
    kind  text NOT NULL,
    name  text NOT NULL
);

CREATE TABLE listings (
    id            text PRIMARY KEY,
    owner_org_id  text  NOT NULL,
    snapshot      jsonb NOT NULL
);

-- Enterprise subscriptions (精准推送). ``indexed_version`` < ``version``: not yet in the
-- Elasticsearch subscriptions index; the matcher brings it there before matching.
CREATE TABLE subscriptions (
    id               text PRIMARY KEY,
    org_id           text        NOT NULL,
    filter           jsonb       NOT NULL,
    query            text,
    channel          text        NOT NULL,  -- inbox | webhook
    active           boolean     NOT NULL DEFAULT true,
    version          integer     NOT NULL DEFAULT 1,
    indexed_version  integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_org ON subscriptions (org_id, created_at, id);
CREATE INDEX subscriptions_unindexed ON subscriptions (id) WHERE indexed_version < version;

-- New supply waiting to be matched against the subscriptions (recorded by the
-- consumer in the transaction of the change; done by the matcher).
CREATE TABLE match_jobs (
    listing_id   text PRIMARY KEY,
    position     bigint      NOT NULL,
    snapshot     jsonb       NOT NULL,
    done_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_jobs_pending ON match_jobs (position) WHERE done_at IS NULL;

-- One push per (enterprise, listing), whatever number of its subscriptions matched.
CREATE TABLE pushes (
    id                text PRIMARY KEY,
    org_id            text        NOT NULL,
    listing_id        text        NOT NULL,
    subscription_ids  text[]      NOT NULL,
    channel           text        NOT NULL,
    listing           jsonb       NOT NULL,
    read_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, listing_id)
);
CREATE INDEX pushes_inbox ON pushes (org_id, created_at DESC, id DESC);

CREATE TABLE push_feedback (
    push_id               text PRIMARY KEY REFERENCES pushes (id),
    listing_id            text        NOT NULL,
    listing_owner_org_id  text        NOT NULL,
    from_org_id           text        NOT NULL,
    interest_level        integer     NOT NULL,
    cooperation           text        NOT NULL,
    comment               text        NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_feedback_listing ON push_feedback (listing_id, created_at, push_id);
