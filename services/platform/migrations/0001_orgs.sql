CREATE TABLE orgs (
    id         text PRIMARY KEY,
    kind       text        NOT NULL,
    sub_kind   text,
    name       text        NOT NULL,
    country    char(2)     NOT NULL,
    uscc       char(18) UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orgs_created ON orgs (created_at, id);

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    org_id     text        NOT NULL REFERENCES orgs (id),
    digest     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE mandates (
    org_id     text        NOT NULL REFERENCES orgs (id),
    venue_id   text        NOT NULL REFERENCES orgs (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    PRIMARY KEY (org_id, venue_id)
);
