-- Negotiated deals (DESIGN §12): terms by version, confirmations, the register's
-- reservation, export review, payment, recording and technology-contract registration.
CREATE TABLE deals (
    id                       text PRIMARY KEY,
    kind                     text          NOT NULL,  -- transfer | exclusive_licence | sole_licence | ordinary_licence | equity
    status                   text          NOT NULL,
    owner_org_id             text          NOT NULL,
    counterparty_org_id      text          NOT NULL,
    counterparty_country     text          NOT NULL,
    proposed_by              text          NOT NULL,  -- owner | counterparty
    listing_id               text,
    patent_ids               text[]        NOT NULL,
    patents                  jsonb         NOT NULL,  -- the patents' snapshots (as the register granted them, once agreed)
    currency                 text          NOT NULL,
    price                    numeric(16,2),
    royalty_basis            text,
    rate_percent             numeric(7,4),
    royalty_amount           numeric(16,2),
    territory                text,
    term_years               integer,
    valuation                numeric(16,2),
    equity_share_percent     numeric(7,4),
    payment_method           text,
    payment_schedule         text,
    version                  integer       NOT NULL DEFAULT 1,
    confirmed_by             text[]        NOT NULL DEFAULT '{}',
    co_owner_consents        text[]        NOT NULL DEFAULT '{}',  -- Patent Law art. 14
    reservation_id           text,
    refusal                  jsonb,
    export_review            text          NOT NULL DEFAULT 'not_required',
    export_reasons           text,
    export_documents         text[]        NOT NULL DEFAULT '{}',
    technology_export_registration boolean NOT NULL DEFAULT false,
    payment_reference        text,
    licence_id               text,         -- the licence the licences context granted (licence kinds)
    unrecorded_patent_ids    text[]        NOT NULL DEFAULT '{}',  -- transfers not yet recorded with CNIPA
    recording_due_on         date,
    contract_registration_no text,
    contract_registered_on   date,
    acted_by_org_id          text,
    expires_at               timestamptz   NOT NULL,
    agreed_at                timestamptz,
    paid_at                  timestamptz,
    recorded_at              timestamptz,
    ended_at                 timestamptz,
    created_at               timestamptz   NOT NULL DEFAULT now(),
    updated_at               timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX deals_owner ON deals (owner_org_id, created_at, id);
CREATE INDEX deals_counterparty ON deals (counterparty_org_id, created_at, id);
CREATE INDEX deals_status ON deals (status, created_at, id);
CREATE INDEX deals_open_expiry ON deals (expires_at) WHERE status IN ('proposed', 'countered');
CREATE INDEX deals_licence ON deals (licence_id) WHERE licence_id IS NOT NULL;
CREATE INDEX deals_patents ON deals USING gin (patent_ids);

-- Every step of a deal, in order: the certificate prints it.
CREATE TABLE history (
    deal_id   text        NOT NULL REFERENCES deals (id),
    seq       integer     NOT NULL,
    step      text        NOT NULL,
    at        timestamptz NOT NULL,
    by_org_id text,
    version   integer     NOT NULL,
    PRIMARY KEY (deal_id, seq)
);

-- Transaction certificates (交易鉴证): one per completed deal, auction or open-licence licence.
CREATE TABLE certificates (
    id          text PRIMARY KEY,
    code        text        NOT NULL UNIQUE,
    subject     text        NOT NULL,  -- deal | auction | open_licence_licence
    subject_id  text        NOT NULL,
    parties     jsonb       NOT NULL,  -- [{role, org_id, name, country}]
    patents     jsonb       NOT NULL,  -- [{patent_id, number, title}]
    terms       jsonb       NOT NULL,
    history     jsonb       NOT NULL,  -- [{step, at}]
    issued_at   timestamptz NOT NULL,
    UNIQUE (subject, subject_id)
);

-- Read models from other contexts' events -------------------------------------------
CREATE TABLE orgs (
    id      text PRIMARY KEY,
    kind    text NOT NULL,
    name    text NOT NULL,
    country text NOT NULL
);

CREATE TABLE patents (
    id           text PRIMARY KEY,
    owner_org_id text  NOT NULL,
    snapshot     jsonb NOT NULL
);

CREATE TABLE listings (
    id           text PRIMARY KEY,
    kind         text   NOT NULL,
    status       text   NOT NULL,
    owner_org_id text   NOT NULL,
    patent_ids   text[] NOT NULL,
    modes        text[] NOT NULL
);
