CREATE TABLE auctions (
    id             text PRIMARY KEY,
    listing_id     text          NOT NULL,
    seller_org_id  text          NOT NULL,
    status         text          NOT NULL,
    starts_at      timestamptz   NOT NULL,
    ends_at        timestamptz   NOT NULL,  -- moves with soft-close extensions
    planned_end    timestamptz   NOT NULL,
    currency       text          NOT NULL,
    start_price    numeric(16,2) NOT NULL,
    reserve_price  numeric(16,2),
    increment      numeric(16,2) NOT NULL,
    deposit        numeric(16,2) NOT NULL,
    window_s       integer       NOT NULL,
    extend_s       integer       NOT NULL,
    current_price  numeric(16,2),
    leader         text,          -- registration id
    leader_max     numeric(16,2), -- the leader's secret proxy maximum
    bid_count      integer       NOT NULL DEFAULT 0,
    winner         text,
    final_price    numeric(16,2),
    relisted_from  text,
    created_at     timestamptz   NOT NULL DEFAULT now(),
    closed_at      timestamptz
);
-- The scheduler's two questions: what should open, what should close.
CREATE INDEX auctions_due_open ON auctions (starts_at) WHERE status = 'scheduled';
CREATE INDEX auctions_due_close ON auctions (ends_at) WHERE status IN ('scheduled', 'open');
-- One running auction per listing.
CREATE UNIQUE INDEX auctions_one_running_per_listing ON auctions (listing_id)
    WHERE status IN ('scheduled', 'open', 'closed_won', 'pending_export_review');

CREATE TABLE registrations (
    id             text PRIMARY KEY,
    auction_id     text        NOT NULL REFERENCES auctions (id),
    bidder_org_id  text        NOT NULL,
    deposit_status text        NOT NULL DEFAULT 'pending',  -- pending | confirmed | released | forfeited
    created_at     timestamptz NOT NULL DEFAULT now(),
    confirmed_at   timestamptz,
    UNIQUE (auction_id, bidder_org_id)
);

CREATE TABLE bids (
    auction_id      text          NOT NULL REFERENCES auctions (id),
    sequence        integer       NOT NULL,
    registration_id text          NOT NULL REFERENCES registrations (id),
    amount          numeric(16,2) NOT NULL,
    proxy           boolean       NOT NULL,
    placed_at       timestamptz   NOT NULL,
    PRIMARY KEY (auction_id, sequence)
);

-- Read models from other contexts' events.
CREATE TABLE listings (
    id           text PRIMARY KEY,
    owner_org_id text    NOT NULL,
    kind         text    NOT NULL,
    status       text    NOT NULL,
    title        text    NOT NULL,
    modes        text[]  NOT NULL,
    version      integer NOT NULL
);

CREATE TABLE orgs (
    id      text PRIMARY KEY,
    kind    text NOT NULL,
    country text NOT NULL
);
