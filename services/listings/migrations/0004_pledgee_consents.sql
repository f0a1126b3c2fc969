-- What a pledge's pledgee has consented to (transfer, open_licence, licence), recorded
-- from the financing context's events: the register reads it, never a requester's claim
-- (Civil Code art. 444; Implementing Regulations art. 86 (4)).
ALTER TABLE encumbrances ADD COLUMN consents text[] NOT NULL DEFAULT '{}';
