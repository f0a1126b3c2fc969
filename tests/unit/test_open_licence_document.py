from datetime import UTC, date, datetime
from decimal import Decimal as D

from events.schemas.common import Money
from events.schemas.licences import OpenLicenceDeclared, OpenLicenceTerms, OpenLicenceWithdrawn
from events.schemas.listings import PatentSnapshot
from search.documents import open_licence_document
from search.mappings import MAPPINGS

PATENT = PatentSnapshot(patent_id="pat_1", number="202310123456.6", title="一种锂离子电池正极材料", abstract="高镍三元",
                        kind="invention", ipc=["H01M 4/525"], applicants=["复旦大学"], filing_date=date(2023, 1, 10),
                        grant_date=date(2024, 6, 1), legal_status="granted", expires_on=date(2043, 1, 10),
                        owner_org_id="org_a", owner_kind="institution", owner_name="复旦大学")
TERMS = OpenLicenceTerms(basis="entry_fee_plus_rate", rate_percent=D("3.50"), amount=Money(amount=D("50000")),
                         payment_method="bank_transfer", payment_schedule="annually", term_years=5)
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_a_declaration_is_an_open_licence_document_with_its_terms():
    doc = open_licence_document(OpenLicenceDeclared(declaration_id="olc_1", patent_id="pat_1", declarer_org_id="org_a",
                                                    patent=PATENT, terms=TERMS, declared_at=AT))
    assert (doc["type"], doc["id"], doc["status"], doc["open_licence"]) == ("open_licence", "olc_1", "published", True)
    assert doc["ipc_subclass"] == ["H01M"] and doc["patent_numbers"] == ["202310123456.6", "2023101234566"]
    assert doc["open_licence_terms"]["rate_percent"] == "3.5" and doc["open_licence_terms"]["amount"] == "50000.00"
    assert set(doc) <= set(MAPPINGS["properties"])  # the mapping is strict
    assert set(doc["open_licence_terms"]) <= set(MAPPINGS["properties"]["open_licence_terms"]["properties"])


def test_a_withdrawn_declaration_leaves_default_searches_and_an_old_event_makes_no_document():
    doc = open_licence_document(OpenLicenceWithdrawn(declaration_id="olc_1", patent_id="pat_1", patent=PATENT,
                                                     terms=TERMS, declared_at=AT, withdrawn_at=AT))
    assert doc["status"] == "withdrawn"
    assert open_licence_document(OpenLicenceDeclared(declaration_id="olc_1", patent_id="pat_1",
                                                     declarer_org_id="org_a")) is None
