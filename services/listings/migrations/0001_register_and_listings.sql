CREATE TABLE patents (
    id           text PRIMARY KEY,
    number       text        NOT NULL UNIQUE,
    title        text        NOT NULL,
    abstract     text        NOT NULL DEFAULT '',
    kind         text        NOT NULL,
    ipc          text[]      NOT NULL,
    applicants   text[]      NOT NULL DEFAULT '{}',
    inventors    text[]      NOT NULL DEFAULT '{}',
    filing_date  date        NOT NULL,
    grant_date   date,
    legal_status text        NOT NULL,
    expires_on   date        NOT NULL,
    owner_org_id text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patents_owner ON patents (owner_org_id, created_at, id);

CREATE TABLE listings (
    id              text PRIMARY KEY,
    kind            text          NOT NULL,
    status          text          NOT NULL,
    owner_org_id    text          NOT NULL,
    title           text          NOT NULL,
    description     text          NOT NULL DEFAULT '',
    modes           text[]        NOT NULL DEFAULT '{}',
    price_amount    numeric(16,2),
    price_currency  text,
    negotiable      boolean       NOT NULL DEFAULT false,
    budget_amount   numeric(16,2),
    budget_currency text,
    industry        text,
    field           text,
    stage           text,
    region          text,
    tags            text[]        NOT NULL DEFAULT '{}',
    acted_by_org_id text,
    reserved_ref    text,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX listings_owner ON listings (owner_org_id, created_at, id);

CREATE TABLE listing_patents (
    listing_id text    NOT NULL REFERENCES listings (id),
    patent_id  text    NOT NULL REFERENCES patents (id),
    position   integer NOT NULL,
    PRIMARY KEY (listing_id, patent_id)
);
CREATE INDEX listing_patents_patent ON listing_patents (patent_id);

-- Read model of other contexts' facts about a patent (from licences' and auctions' events).
CREATE TABLE encumbrances (
    patent_id    text        NOT NULL,
    kind         text        NOT NULL,  -- open_licence | exclusive_licence | sole_licence
    reference_id text        NOT NULL,
    since        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (patent_id, kind, reference_id)
);

-- Read model of organisations (from platform's events): names and kinds for listings.
CREATE TABLE orgs (
    id       text PRIMARY KEY,
    kind     text NOT NULL,
    sub_kind text,
    name     text NOT NULL
);

-- Bulk imports: the uploaded lines are kept with the job, so a restart resumes it
-- where its last committed chunk ended.
CREATE TABLE imports (
    id           text PRIMARY KEY,
    owner_org_id text        NOT NULL,
    status       text        NOT NULL,  -- queued | running | done
    total        integer     NOT NULL,
    processed    integer     NOT NULL DEFAULT 0,
    accepted     integer     NOT NULL DEFAULT 0,
    rejected     integer     NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX imports_pending ON imports (created_at) WHERE status <> 'done';

CREATE TABLE import_lines (
    import_id text    NOT NULL REFERENCES imports (id),
    line      integer NOT NULL,
    body      text    NOT NULL,
    PRIMARY KEY (import_id, line)
);

CREATE TABLE import_errors (
    import_id text    NOT NULL REFERENCES imports (id),
    line      integer NOT NULL,
    errors    jsonb   NOT NULL,
    PRIMARY KEY (import_id, line)
);
