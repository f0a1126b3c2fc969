-- Roadshows (路演, DESIGN §9).
CREATE TABLE roadshows (
    id               text PRIMARY KEY,
    organiser_org_id text        NOT NULL,
    organiser_kind   text,
    title            text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    mode             text        NOT NULL,  -- online | offline | hybrid
    location         text,
    stream_url       text,
    capacity         integer     NOT NULL CHECK (capacity > 0),
    status           text        NOT NULL,  -- draft | published | cancelled
    -- Arrival order of registrations: taken under this row's lock, so it is the order in
    -- which registrations were decided (a sequence would be the order they began).
    last_arrival     bigint      NOT NULL DEFAULT 0,
    report_closed_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    cancelled_at     timestamptz,
    CHECK (ends_at > starts_at)
);
CREATE INDEX roadshows_starts ON roadshows (starts_at, id);
CREATE INDEX roadshows_organiser ON roadshows (organiser_org_id, starts_at, id);

CREATE TABLE lineup (
    roadshow_id    text        NOT NULL REFERENCES roadshows (id),
    listing_id     text        NOT NULL,
    listing_title  text        NOT NULL,
    owner_org_id   text        NOT NULL,
    slot_starts_at timestamptz NOT NULL,
    slot_ends_at   timestamptz NOT NULL,
    PRIMARY KEY (roadshow_id, listing_id)
);
CREATE INDEX lineup_listing ON lineup (listing_id);

CREATE TABLE registrations (
    id           text PRIMARY KEY,
    roadshow_id  text        NOT NULL REFERENCES roadshows (id),
    org_id       text        NOT NULL,
    status       text        NOT NULL,  -- registered | waitlisted | cancelled
    arrival      bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    promoted_at  timestamptz,
    cancelled_at timestamptz,
    UNIQUE (roadshow_id, arrival)
);
-- One live registration per organisation and roadshow (it may register again after cancelling).
CREATE UNIQUE INDEX registrations_one_live ON registrations (roadshow_id, org_id) WHERE status <> 'cancelled';
CREATE INDEX registrations_queue ON registrations (roadshow_id, status, arrival);
CREATE INDEX registrations_org ON registrations (org_id);

-- Leads: 举手 during a roadshow, for the listing's owner.
CREATE TABLE leads (
    id                text PRIMARY KEY,
    roadshow_id       text        NOT NULL REFERENCES roadshows (id),
    listing_id        text        NOT NULL,
    owner_org_id      text        NOT NULL,
    enterprise_org_id text        NOT NULL,
    note              text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (roadshow_id, listing_id, enterprise_org_id)
);
CREATE INDEX leads_listing ON leads (listing_id, created_at);

-- Structured feedback (计划第八条): one per enterprise, listing and roadshow; editable
-- until the roadshow's report is closed.
CREATE TABLE feedback (
    id                        text PRIMARY KEY,
    roadshow_id               text        NOT NULL REFERENCES roadshows (id),
    listing_id                text        NOT NULL,
    owner_org_id              text        NOT NULL,
    enterprise_org_id         text        NOT NULL,
    industrialisation_prospect smallint   NOT NULL CHECK (industrialisation_prospect BETWEEN 1 AND 5),
    improvement_needs         text        NOT NULL DEFAULT '',
    concerns                  text[]      NOT NULL DEFAULT '{}',
    cooperation               text        NOT NULL,
    revision                  integer     NOT NULL DEFAULT 1,
    submitted_at              timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (roadshow_id, listing_id, enterprise_org_id)
);
CREATE INDEX feedback_listing ON feedback (listing_id, submitted_at);

-- Read model of listings, from psm.listing.* (each carries the whole snapshot).
CREATE TABLE listings (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    status       text NOT NULL,
    owner_org_id text NOT NULL,
    title        text NOT NULL
);
