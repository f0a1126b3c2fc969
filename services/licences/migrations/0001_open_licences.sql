-- Open-licence declarations (DESIGN §7). Terms are never edited: withdraw and declare again.
CREATE TABLE declarations (
    id                    text PRIMARY KEY,
    patent_id             text          NOT NULL,
    declarer_org_id       text          NOT NULL,
    co_owner_org_ids      text[]        NOT NULL DEFAULT '{}',
    status                text          NOT NULL,  -- in_force | withdrawn
    royalty_basis         text          NOT NULL,
    rate_percent          numeric(7,4),
    amount                numeric(16,2),
    currency              text          NOT NULL,
    payment_method        text          NOT NULL,
    payment_schedule      text          NOT NULL,
    term_years            integer       NOT NULL,
    cnipa_announcement_no text,
    evaluation_report_no  text,
    co_owner_consents     text[]        NOT NULL DEFAULT '{}',
    pledgee_consents      text[]        NOT NULL DEFAULT '{}',
    acted_by_org_id       text,
    patent                jsonb         NOT NULL,  -- the patent's snapshot when declared (for the events)
    declared_at           timestamptz   NOT NULL DEFAULT now(),
    withdrawn_at          timestamptz
);
-- At most one declaration in force per patent (two declarers racing: one wins).
CREATE UNIQUE INDEX declarations_one_in_force ON declarations (patent_id) WHERE status = 'in_force';
CREATE INDEX declarations_patent ON declarations (patent_id, declared_at, id);

-- Licences: ordinary licences granted by accepting an open licence.
CREATE TABLE licences (
    id               text PRIMARY KEY,
    open_licence_id  text          NOT NULL REFERENCES declarations (id),
    patent_id        text          NOT NULL,
    kind             text          NOT NULL DEFAULT 'ordinary',
    licensor_org_id  text          NOT NULL,
    licensee_org_id  text          NOT NULL,
    effective_date   date          NOT NULL,
    expires_on       date          NOT NULL,
    filing_due_on    date          NOT NULL,
    filed_on         date,
    filing_no        text,
    acted_by_org_id  text,
    -- clock_timestamp(): when the licence was granted under the declaration's lock (see withdrawn_at).
    created_at       timestamptz   NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (open_licence_id, licensee_org_id)
);
CREATE INDEX licences_licensor ON licences (licensor_org_id, created_at, id);
CREATE INDEX licences_licensee ON licences (licensee_org_id, created_at, id);
CREATE INDEX licences_declaration ON licences (open_licence_id, created_at, id);

CREATE TABLE royalty_payments (
    id               text PRIMARY KEY,
    licence_id       text          NOT NULL REFERENCES licences (id),
    period           integer       NOT NULL,
    amount           numeric(16,2) NOT NULL,
    reported_revenue numeric(16,2),
    paid_at          timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX royalty_payments_licence ON royalty_payments (licence_id, period);

-- Revenue reported for a period (percentage bases): fixed once reported, so that every
-- payment towards the period is measured against the same amount due.
CREATE TABLE reported_revenues (
    licence_id text          NOT NULL REFERENCES licences (id),
    period     integer       NOT NULL,
    revenue    numeric(16,2) NOT NULL,
    PRIMARY KEY (licence_id, period)
);

-- Read models from other contexts' events -------------------------------------------
CREATE TABLE patents (
    id        text PRIMARY KEY,
    owner_org_id     text    NOT NULL,
    co_owner_org_ids text[]  NOT NULL DEFAULT '{}',
    kind             text    NOT NULL,
    legal_status     text    NOT NULL,
    expires_on       date    NOT NULL,
    snapshot         jsonb   NOT NULL
);

CREATE TABLE listings (
    id     text PRIMARY KEY,
    status text   NOT NULL,
    modes  text[] NOT NULL
);

CREATE TABLE listing_patents (
    listing_id text NOT NULL,
    patent_id  text NOT NULL,
    PRIMARY KEY (listing_id, patent_id)
);
CREATE INDEX listing_patents_patent ON listing_patents (patent_id);

-- Auctions still able to transfer their lot: scheduled … until settled, unsold or defaulted.
CREATE TABLE running_auctions (
    id         text PRIMARY KEY,
    listing_id text NOT NULL
);
CREATE INDEX running_auctions_listing ON running_auctions (listing_id);

CREATE TABLE pledges (
    id             text PRIMARY KEY,
    patent_id      text NOT NULL,
    pledgee_org_id text NOT NULL
);
CREATE INDEX pledges_patent ON pledges (patent_id);

-- Exclusive and sole licences in force, from psm.licence.granted/terminated of any source.
CREATE TABLE exclusive_licences (
    id        text PRIMARY KEY,
    patent_id text NOT NULL,
    kind      text NOT NULL
);
CREATE INDEX exclusive_licences_patent ON exclusive_licences (patent_id);

CREATE TABLE orgs (
    id   text PRIMARY KEY,
    kind text NOT NULL,
    name text NOT NULL
);
