-- Idempotency-Key records. A row is inserted in the transaction of the request it
-- guards, and completed with the response before that transaction commits: a
-- concurrent duplicate blocks on the primary key until the first request commits
-- (then replays its response) or rolls back (then runs itself).
CREATE TABLE idempotency_keys (
    org_id       text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    method       text        NOT NULL,
    path         text        NOT NULL,
    status       integer,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
