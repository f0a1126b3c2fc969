-- Deal statistics (DESIGN §12): a read model of every completed deal in every channel,
-- rolled up by day and dimension so that any period and grouping is a small sum.
-- Rebuilt from the events by `psm stats rebuild` (services/stats/rebuild.py).

-- One row per completed deal (deals = 1) or royalty payment (deals = 0, royalties > 0),
-- keyed by its source: deal:<id>, auction:<id>, open_licence:<licence id>, royalty:<payment id>.
CREATE TABLE facts (
    id             text PRIMARY KEY,
    on_date        date          NOT NULL,
    channel        text          NOT NULL,  -- negotiated | auction | open_licence
    mode           text          NOT NULL,  -- transfer | exclusive_licence | sole_licence | ordinary_licence | equity
    currency       text          NOT NULL,
    deals          integer       NOT NULL,
    amount         numeric(18,2) NOT NULL,  -- contract value
    royalties      numeric(18,2) NOT NULL,  -- royalties received
    owner_org_id   text          NOT NULL,  -- seller, licensor or contributor
    patent_id      text,
    -- Dimensions, resolved from the organisation and patent read models; NULL until
    -- those are known (an event of another topic may come first), then filled in.
    owner_kind     text,
    owner_sub_kind text,
    region         text,
    industry       text
);
CREATE INDEX facts_owner_unresolved ON facts (owner_org_id) WHERE owner_kind IS NULL;
CREATE INDEX facts_patent_unresolved ON facts (patent_id) WHERE industry IS NULL;

CREATE TABLE rollup (
    dimension text          NOT NULL,
    value     text          NOT NULL,
    day       date          NOT NULL,
    currency  text          NOT NULL,
    deals     bigint        NOT NULL,
    amount    numeric(20,2) NOT NULL,
    royalties numeric(20,2) NOT NULL,
    PRIMARY KEY (dimension, currency, day, value)
);

-- The same sums by calendar month: a long range reads whole months here and only its
-- partial first and last months day by day.
CREATE TABLE rollup_monthly (
    dimension text          NOT NULL,
    value     text          NOT NULL,
    month     date          NOT NULL,  -- its first day
    currency  text          NOT NULL,
    deals     bigint        NOT NULL,
    amount    numeric(20,2) NOT NULL,
    royalties numeric(20,2) NOT NULL,
    PRIMARY KEY (dimension, currency, month, value)
);

-- One owner of the rollup: the dimensions a fact counts under (this function), added or
-- taken away with every change of a fact (the trigger), or summed set-based from all facts
-- at once (rollup_all, for a bulk load).
CREATE FUNCTION dimensions(f facts) RETURNS TABLE (dimension text, value text) LANGUAGE sql IMMUTABLE AS $$
    VALUES ('all', 'all'), ('mode', f.mode), ('channel', f.channel),
           ('owner_kind', coalesce(f.owner_kind, 'unknown')),
           ('owner_sub_kind', coalesce(f.owner_sub_kind, CASE WHEN f.owner_kind IS NULL THEN 'unknown' ELSE 'none' END)),
           ('industry', coalesce(f.industry, 'unknown')), ('region', coalesce(f.region, 'unknown'))
    UNION ALL
    -- The plan's own measure (沪府办发〔2024〕7号 item 六): Shanghai's universities and research institutes.
    SELECT 'plan', 'sh_institution' WHERE f.region = '31' AND f.owner_sub_kind IN ('university', 'research_institute')
$$;

CREATE FUNCTION roll(f facts, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stats.rollup AS r (dimension, value, day, currency, deals, amount, royalties)
    SELECT d.dimension, d.value, f.on_date, f.currency, sign * f.deals, sign * f.amount, sign * f.royalties
    FROM stats.dimensions(f) d
    ON CONFLICT (dimension, currency, day, value) DO UPDATE
        SET deals = r.deals + EXCLUDED.deals, amount = r.amount + EXCLUDED.amount,
            royalties = r.royalties + EXCLUDED.royalties;
    INSERT INTO stats.rollup_monthly AS r (dimension, value, month, currency, deals, amount, royalties)
    SELECT d.dimension, d.value, date_trunc('month', f.on_date)::date, f.currency, sign * f.deals, sign * f.amount,
           sign * f.royalties
    FROM stats.dimensions(f) d
    ON CONFLICT (dimension, currency, month, value) DO UPDATE
        SET deals = r.deals + EXCLUDED.deals, amount = r.amount + EXCLUDED.amount,
            royalties = r.royalties + EXCLUDED.royalties;
$$;

CREATE FUNCTION rollup_all() RETURNS void LANGUAGE sql AS $$
    TRUNCATE stats.rollup;
    INSERT INTO stats.rollup (dimension, value, day, currency, deals, amount, royalties)
    WITH counted AS MATERIALIZED (
        SELECT (stats.dimensions(f)).*, f.on_date, f.currency, f.deals, f.amount, f.royalties FROM stats.facts f)
    SELECT dimension, value, on_date, currency, sum(deals), sum(amount), sum(royalties)
    FROM counted GROUP BY dimension, value, on_date, currency;
    TRUNCATE stats.rollup_monthly;
    INSERT INTO stats.rollup_monthly (dimension, value, month, currency, deals, amount, royalties)
    SELECT dimension, value, date_trunc('month', day)::date, currency, sum(deals), sum(amount), sum(royalties)
    FROM stats.rollup GROUP BY 1, 2, 3, 4;
$$;

CREATE FUNCTION facts_rolled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM stats.roll(OLD, -1); END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM stats.roll(NEW, 1); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER facts_rolled AFTER INSERT OR UPDATE OR DELETE ON facts FOR EACH ROW EXECUTE FUNCTION facts_rolled();

-- Read models -------------------------------------------------------------------------
CREATE TABLE orgs (
    id       text PRIMARY KEY,
    kind     text NOT NULL,
    sub_kind text,
    name     text NOT NULL,
    region   text NOT NULL  -- province code from the USCC (e.g. 31), the country abroad, or 'unknown'
);

CREATE TABLE patents (
    id            text PRIMARY KEY,
    owner_org_id  text    NOT NULL,
    industry      text,             -- IPC section (A–H)
    sequence      integer NOT NULL,
    listed        boolean NOT NULL DEFAULT false,
    transacted    boolean NOT NULL DEFAULT false
);
CREATE INDEX patents_owner ON patents (owner_org_id);

CREATE TABLE listings (
    id           text PRIMARY KEY,
    patent_ids   text[]      NOT NULL,
    published_at timestamptz
);

-- Licences, for the channel and owner of their royalties.
CREATE TABLE licences (
    id            text PRIMARY KEY,
    channel       text NOT NULL,
    mode          text NOT NULL,
    owner_org_id  text NOT NULL,
    patent_id     text NOT NULL
);

-- Market activity, one row per event (idempotent by its id).
CREATE TABLE activity (
    id   text PRIMARY KEY,
    kind text        NOT NULL,  -- roadshow_lead | push_delivered
    at   timestamptz NOT NULL
);
