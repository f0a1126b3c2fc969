-- The register's encumbrances are authoritative from here on: the register decides
-- every reservation against them in one transaction (services/listings/rights.py).
ALTER TABLE encumbrances ADD COLUMN holder_org_id text;
ALTER TABLE encumbrances ADD COLUMN reservation_id text;
CREATE INDEX encumbrances_reference ON encumbrances (reference_id);

-- Every reservation asked of the register and how it was decided (the audit trail).
CREATE TABLE reservations (
    id               text PRIMARY KEY,
    kind             text        NOT NULL,
    reference_id     text        NOT NULL,
    requester_org_id text        NOT NULL,
    patent_ids       text[]      NOT NULL,
    status           text        NOT NULL,  -- granted | refused
    rule             text,
    detail           text,
    decided_at       timestamptz NOT NULL DEFAULT now()
);

-- Ownership moved with a completed deal; the recording with CNIPA (著录项目变更,
-- Patent Law art. 10) is tracked until done.
CREATE TABLE patent_transfers (
    id               text PRIMARY KEY,
    patent_id        text          NOT NULL REFERENCES patents (id),
    from_org_id      text          NOT NULL,
    to_org_id        text          NOT NULL,
    reference_kind   text          NOT NULL,  -- auction | deal
    reference_id     text          NOT NULL,
    price_amount     numeric(16,2),
    price_currency   text,
    transferred_at   timestamptz   NOT NULL,
    recording_due_on date          NOT NULL,
    recorded_on      date,
    recording_no     text,
    UNIQUE (patent_id, reference_kind, reference_id)
);
CREATE INDEX patent_transfers_patent ON patent_transfers (patent_id, transferred_at);

