-- Pledge financing (DESIGN §12a): pledges of patents and of licence income, the
-- pledgee's consents, CNIPA registration, the licence-income ledger, valuations.
CREATE TABLE pledges (
    id                 text PRIMARY KEY,
    kind               text          NOT NULL,  -- patent | licence_income
    status             text          NOT NULL,  -- proposed | reserving | in_force | refused | released | defaulted | disposing | disposed | cancelled
    pledgor_org_id     text          NOT NULL,
    pledgee_org_id     text          NOT NULL,
    patent_ids         text[]        NOT NULL DEFAULT '{}',
    licence_ids        text[]        NOT NULL DEFAULT '{}',
    currency           text          NOT NULL,
    loan_amount        numeric(16,2) NOT NULL,
    term_months        integer       NOT NULL,
    rate_percent       numeric(7,4)  NOT NULL,
    valuation_id       text,
    guaranteed         boolean       NOT NULL DEFAULT false,
    insured            boolean       NOT NULL DEFAULT false,
    co_owner_consents  text[]        NOT NULL DEFAULT '{}',
    consents           text[]        NOT NULL DEFAULT '{}',  -- transfer | open_licence | licence
    reservation_id     text,
    refusal            jsonb,
    registration_no    text,
    registered_on      date,
    attributed         numeric(16,2) NOT NULL DEFAULT 0,  -- licence income to the pledgee so far
    disposal           jsonb,         -- 质物处置: {auction_id, terms, priority_holders, statement}
    acted_by_org_id    text,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    effective_at       timestamptz,
    ended_at           timestamptz
);
CREATE INDEX pledges_pledgor ON pledges (pledgor_org_id, created_at, id);
CREATE INDEX pledges_pledgee ON pledges (pledgee_org_id, created_at, id);
CREATE INDEX pledges_licences ON pledges USING gin (licence_ids);
CREATE INDEX pledges_patents ON pledges USING gin (patent_ids);

CREATE TABLE history (
    pledge_id text        NOT NULL REFERENCES pledges (id),
    seq       integer     NOT NULL,
    step      text        NOT NULL,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    by_org_id text,
    PRIMARY KEY (pledge_id, seq)
);

-- Licence income under a pledge: each royalty payment, split.
CREATE TABLE ledger (
    payment_id   text PRIMARY KEY,
    pledge_id    text          NOT NULL REFERENCES pledges (id),
    licence_id   text          NOT NULL,
    paid         numeric(16,2) NOT NULL,
    to_pledgee   numeric(16,2) NOT NULL,
    to_licensor  numeric(16,2) NOT NULL,
    at           timestamptz   NOT NULL
);
CREATE INDEX ledger_pledge ON ledger (pledge_id, at);

CREATE TABLE valuations (
    id          text PRIMARY KEY,
    patent_id   text          NOT NULL,
    evaluator   text          NOT NULL,
    method      text          NOT NULL,  -- income | market | cost
    value       numeric(16,2) NOT NULL,
    currency    text          NOT NULL,
    valued_on   date          NOT NULL,
    report_ref  text          NOT NULL,
    recorded_by text          NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX valuations_patent ON valuations (patent_id, valued_on DESC);

-- Read models from other contexts' events (for the rules here and the indicators) ------
CREATE TABLE orgs (
    id      text PRIMARY KEY,
    kind    text NOT NULL,
    name    text NOT NULL
);

CREATE TABLE patents (
    id            text PRIMARY KEY,
    owner_org_id  text    NOT NULL,
    co_owner_org_ids text[] NOT NULL DEFAULT '{}',
    legal_status  text    NOT NULL,
    expires_on    date    NOT NULL,
    ipc_subclass  text,             -- e.g. H01M: the portfolio a patent belongs to
    sequence      integer NOT NULL
);
CREATE INDEX patents_portfolio ON patents (owner_org_id, ipc_subclass);

CREATE TABLE licences (
    id              text PRIMARY KEY,
    patent_id       text    NOT NULL,
    kind            text    NOT NULL,
    licensor_org_id text    NOT NULL,
    royalties       numeric(16,2) NOT NULL DEFAULT 0,
    currency        text
);
CREATE INDEX licences_patent ON licences (patent_id);

-- Deals completed per patent (negotiated deals, and auctions as auction:<id>); listings'
-- patents (feedback arrives per listing).
CREATE TABLE deals (
    id        text NOT NULL,
    patent_id text NOT NULL,
    PRIMARY KEY (id, patent_id)
);
CREATE TABLE listing_patents (
    listing_id text NOT NULL,
    patent_id  text NOT NULL,
    PRIMARY KEY (listing_id, patent_id)
);
-- Interest shown in a listing: roadshow feedback (industrialisation prospect 1–5) and
-- answers to pushes (interest level 1–5), one row per feedback (its latest revision).
CREATE TABLE interest (
    id         text PRIMARY KEY,
    listing_id text     NOT NULL,
    source     text     NOT NULL,  -- roadshow | push
    score      smallint NOT NULL
);
CREATE INDEX interest_listing ON interest (listing_id);
