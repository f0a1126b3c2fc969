"""Every pre-check of DESIGN §7 over HTTP: a 422 naming its rule, nothing declared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.schemas.licences import LicenceGranted, LicenceTerminated
from events.schemas.financing import PledgeConsentGiven
from events.schemas.register import PledgeReleased, PledgeReservationRequested, ReservationRequest
from tests.integration.licences.conftest import cny, declaration_body, declare, eventually, refused
from tests.integration.listings.conftest import cn_number



async def utility_model(org) -> dict:
    # A utility model declared without its evaluation report is refused by the last
    # pre-check: probing with it never declares anything while a read model catches up.
    return await org.patent(kind="utility_model", number=cn_number(type_digit="2"), ipc=["H01M 4/525"])


async def test_only_the_owner_declares(register):
    uni, other = await register(), await register()
    p = await uni.patent()
    body = await refused(other, declaration_body(p["patent_id"]), "declarer-not-owner")
    assert body["status"] == 422 and body["errors"][0]["field"] == "patent_id"


async def test_every_co_owner_must_consent(register):
    uni, partner = await register(), await register()
    p = await uni.patent(co_owner_org_ids=[partner.id])
    assert p["co_owner_org_ids"] == [partner.id]
    body = await refused(uni, declaration_body(p["patent_id"]), "co-owner-not-consented")
    assert partner.id in body["detail"]
    d = await declare(uni, p["patent_id"], co_owner_consents=[partner.id])
    assert d["status"] == "in_force" and d["co_owner_consents"] == [partner.id]


async def test_a_patent_not_granted_and_in_force_cannot_be_openly_licensed(register):
    uni = await register()
    cases = {
        "patent-not-granted": await uni.patent(legal_status="pending", grant_date=None),
        "patent-lapsed": await uni.patent(legal_status="lapsed"),  # annual fee unpaid
        "patent-expired": await uni.patent(legal_status="expired", filing_date="2001-03-01", grant_date="2003-01-01",
                                           number=cn_number(year=2001)),
        "patent-invalidated": await uni.patent(legal_status="invalidated"),
    }
    # (An entry still "granted" past its derived term cannot be registered any more: the
    # register refuses it. Its refusal is in tests/unit/test_register_rights.py.)
    for rule, p in cases.items():
        await refused(uni, declaration_body(p["patent_id"]), rule)


async def test_an_exclusive_licence_in_force_blocks_it_until_terminated(register, foreign_events):
    uni, ent = await register(), await register("enterprise")
    p = await utility_model(uni)
    await foreign_events("deals", "lic_x_" + p["patent_id"], LicenceGranted(
        licence_id="lic_x_" + p["patent_id"], patent_id=p["patent_id"], licensor_org_id=uni.id,
        licensee_org_id=ent.id, kind="exclusive", effective_date=datetime.now(UTC).date()))
    await refused(uni, declaration_body(p["patent_id"]), "exclusive-licence-in-force")
    await foreign_events("deals", "lic_x_" + p["patent_id"], LicenceTerminated(
        licence_id="lic_x_" + p["patent_id"], patent_id=p["patent_id"]))
    await refused(uni, declaration_body(p["patent_id"]), "evaluation-report-missing")


async def test_a_pledge_needs_the_pledgees_consent(register, foreign_events):
    uni, bank = await register(), await register("financier")
    p = await utility_model(uni)
    # The register as the financing context drives it (its own tests go through its API).
    pledge_id = "plg_" + p["patent_id"]
    await foreign_events("financing", pledge_id, PledgeReservationRequested(reservation=ReservationRequest(
        reservation_id="rsv_" + pledge_id, kind="pledge", reference_id=pledge_id, requester_org_id=uni.id,
        patent_ids=[p["patent_id"]], holder_org_id=bank.id)))
    # Naming the pledgee is no consent: the register reads the one the pledgee recorded.
    body = await refused(uni, declaration_body(p["patent_id"], pledgee_consents=[bank.id]),
                         "pledged-without-pledgee-consent")
    assert body["errors"][0]["field"] == "patent_id"
    await foreign_events("financing", pledge_id, PledgeConsentGiven(
        pledge_id=pledge_id, pledgee_org_id=bank.id, patent_ids=[p["patent_id"]], scope="open_licence",
        consents=["open_licence"]))
    d = await declare(uni, p["patent_id"], pledgee_consents=[bank.id], evaluation_report_no="PJ2025-0042")
    assert d["pledgee_consents"] == [bank.id]
    # Released: a later declaration needs no consent (the first one withdrawn).
    await foreign_events("financing", pledge_id, PledgeReleased(pledge_id=pledge_id))
    assert (await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {})).status == 200
    await refused(uni, declaration_body(p["patent_id"]), "evaluation-report-missing")


async def test_a_patent_under_auction_for_transfer_cannot_be_declared(register):
    uni = await register()
    p = await utility_model(uni)
    listing = await uni.supply([p["patent_id"]], modes=["transfer"])
    assert (await uni.post(f"/v1/listings/{listing['listing_id']}/publish")).status == 200
    now = datetime.now(UTC)
    auction = {"listing_id": listing["listing_id"], "starts_at": (now + timedelta(hours=1)).isoformat(),
               "ends_at": (now + timedelta(hours=2)).isoformat(), "start_price": cny("1000.00"),
               "increment": cny("100.00"), "deposit": cny("100.00")}

    async def scheduled():
        r = await uni.post("/v1/auctions", auction)
        return r.status == 201

    await eventually(scheduled, timeout=5)
    await refused(uni, declaration_body(p["patent_id"]), "under-auction-for-transfer")


async def test_a_utility_model_or_design_needs_its_evaluation_report(register):
    uni = await register()
    p = await utility_model(uni)
    body = await refused(uni, declaration_body(p["patent_id"]), "evaluation-report-missing")
    assert body["errors"][0]["field"] == "evaluation_report_no"
    d = await declare(uni, p["patent_id"], evaluation_report_no="PJ2025-0007")
    assert d["evaluation_report_no"] == "PJ2025-0007"


async def test_royalty_terms_name_what_each_basis_needs_and_one_declaration_at_a_time(register):
    uni = await register()
    p = await uni.patent()
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"], royalty={"basis": "lump_sum"}))
    assert r.status in (404, 422)
    d = await declare(uni, p["patent_id"], royalty={"basis": "lump_sum", "amount": cny("300000.00")})
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"], royalty={"basis": "lump_sum"}))
    assert r.status == 422 and "royalty.amount" in {e["field"] for e in (await r.json())["errors"]}
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))
    assert r.status == 409 and (await r.json())["type"].endswith("open-licence-already-declared")
    assert d["terms"]["amount"] == cny("300000.00")
