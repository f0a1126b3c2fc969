-- Pledge financing (DESIGN §12a): every pledge in force, for the plan's measures (items
-- 二十五–三十: registered amount, SMEs served, outstanding).
CREATE TABLE pledges (
    id             text PRIMARY KEY,
    pledgor_org_id text          NOT NULL,
    kind           text          NOT NULL,  -- patent | licence_income
    amount         numeric(16,2) NOT NULL,
    currency       text          NOT NULL,
    effective_on   date          NOT NULL,
    ended_on       date          -- released (repaid)
);
CREATE INDEX pledges_effective ON pledges (effective_on);
