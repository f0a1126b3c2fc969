-- Licences granted by negotiated deals (services/deals) sit beside those granted under
-- open licences: a deal licence carries its own terms (the declaration's, otherwise).
ALTER TABLE licences ALTER COLUMN open_licence_id DROP NOT NULL;
ALTER TABLE licences ADD COLUMN deal_id text;
CREATE UNIQUE INDEX licences_deal ON licences (deal_id, patent_id) WHERE deal_id IS NOT NULL;
ALTER TABLE licences ADD COLUMN terms jsonb;  -- OpenLicenceTerms of a deal licence
ALTER TABLE licences ADD COLUMN currency text;
ALTER TABLE licences ADD COLUMN territory text;
-- A licence to a party outside CN is a technology export to register (技术出口合同登记).
ALTER TABLE licences ADD COLUMN technology_export_registration boolean NOT NULL DEFAULT false;
-- 技术合同登记 of an open-licence licence once filed (plan item 九).
ALTER TABLE licences ADD COLUMN contract_registration_no text;
ALTER TABLE licences ADD COLUMN contract_registered_on date;
ALTER TABLE licences ADD CONSTRAINT licences_one_source CHECK ((open_licence_id IS NULL) <> (deal_id IS NULL));

ALTER TABLE orgs ADD COLUMN country text;
