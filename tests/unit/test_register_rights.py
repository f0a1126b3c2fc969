"""The patent register's rules (services/listings/rights.py): which encumbrances may
coexist, who may ask for one, and what a legal status allows. Pure: no I/O."""

from __future__ import annotations

from datetime import date

import pytest

from services.runtime.errors import Conflict, DomainError
from services.listings import rights
from services.listings.rights import Encumbrance

TODAY = date(2026, 11, 25)


def patent(*held: Encumbrance, **over) -> rights.PatentRights:
    args = dict(patent_id="pat_1", owner_org_id="org_a", co_owner_org_ids=(), kind="invention",
                legal_status="granted", expires_on=date(2041, 3, 1), encumbrances=tuple(held))
    args.update(over)
    return rights.PatentRights(**args)


def e(kind: str, ref: str = "ref_1", holder: str | None = None) -> Encumbrance:
    return Encumbrance(kind, ref, holder)


# -- open-licence declarations (moved here from the licences context) ---------------------
def declare(p: rights.PatentRights, **over) -> None:
    args = dict(declarer="org_a", co_owner_consents=[], evaluation_report_no=None, today=TODAY)
    args.update(over)
    rights.check_open_licence(p, **args)


@pytest.mark.parametrize("p, over, rule", [
    (patent(), {"declarer": "org_b"}, "declarer-not-owner"),
    (patent(co_owner_org_ids=("org_b", "org_c")), {"co_owner_consents": ["org_b"]}, "co-owner-not-consented"),
    (patent(legal_status="pending"), {}, "patent-not-granted"),
    (patent(legal_status="lapsed"), {}, "patent-lapsed"),
    (patent(legal_status="expired"), {}, "patent-expired"),
    (patent(expires_on=TODAY), {}, "patent-expired"),  # granted in the register, but its term has run out
    (patent(legal_status="invalidated"), {}, "patent-invalidated"),
    (patent(legal_status="fee_unpaid"), {}, "patent-fee-unpaid"),
    (patent(legal_status="suspended"), {}, "patent-proceedings-suspended"),
    (patent(e("exclusive_licence")), {}, "exclusive-licence-in-force"),
    (patent(e("sole_licence")), {}, "exclusive-licence-in-force"),
    (patent(e("exclusive_offer", "lst_1")), {}, "exclusive-licence-offered"),
    (patent(e("pledge", "plg_1", "org_bank")), {}, "pledged-without-pledgee-consent"),
    (patent(e("auction", "auc_1")), {}, "under-auction-for-transfer"),
    (patent(kind="utility_model"), {}, "evaluation-report-missing"),
    (patent(kind="design"), {"evaluation_report_no": "  "}, "evaluation-report-missing"),
])
def test_each_declaration_precheck_refuses_naming_its_rule(p, over, rule):
    with pytest.raises(DomainError) as err:
        declare(p, **over)
    assert (err.value.status, err.value.rule) == (422, rule)


def test_a_second_declaration_is_a_conflict():
    with pytest.raises(Conflict) as err:
        declare(patent(e("open_licence", "olc_1")))
    assert err.value.rule == "open-licence-already-declared"


def test_consents_and_reports_let_a_declaration_through():
    # The pledgee's consent is the one it recorded (financing), not a claim of the declarer.
    consented = Encumbrance("pledge", "plg_1", "org_bank", pledgee_consents=frozenset({"open_licence"}))
    declare(patent(consented, e("ordinary_licence", "lic_1"), e("transfer_offer", "lst_1"),
                   co_owner_org_ids=("org_b",), kind="utility_model"),
            co_owner_consents=["org_b"], evaluation_report_no="PJ2024-001")
    other_scope = Encumbrance("pledge", "plg_1", "org_bank", pledgee_consents=frozenset({"transfer"}))
    with pytest.raises(DomainError) as err:
        declare(patent(other_scope))
    assert err.value.rule == "pledged-without-pledgee-consent"


@pytest.mark.parametrize("kind, scope", [("transfer", "transfer"), ("ordinary_licence", "licence"),
                                         ("exclusive_licence", "licence")])
def test_a_pledgees_recorded_consent_lets_a_deal_through(kind, scope):
    rights.check_deal([patent(Encumbrance("pledge", "plg_1", "bank", pledgee_consents=frozenset({scope})))],
                      deal_kind=kind, requester="org_a", co_owner_consents=[], today=TODAY)


# -- a listing's own offers ---------------------------------------------------------------
@pytest.mark.parametrize("p, modes, rule", [
    (patent(legal_status="lapsed"), ["transfer"], "patent-not-in-force"),
    (patent(expires_on=date(2020, 1, 1)), ["ordinary_licence"], "patent-not-in-force"),
    (patent(legal_status="fee_unpaid"), ["ordinary_licence"], "patent-not-in-force"),
    (patent(e("open_licence")), ["exclusive_licence"], "open-licence-in-force"),
    (patent(e("open_licence")), ["sole_licence", "transfer"], "open-licence-in-force"),
    (patent(e("exclusive_licence")), ["exclusive_licence"], "exclusive-licence-in-force"),
    (patent(e("transfer_offer", "lst_x")), ["transfer"], "patent-already-offered-for-transfer"),
    (patent(e("auction", "auc_x")), ["transfer"], "patent-already-offered-for-transfer"),
    (patent(e("pledge", "plg_1", "org_bank")), ["transfer"], "pledged-without-pledgee-consent"),
])
def test_offer_rules(p, modes, rule):
    with pytest.raises(rights.RegisterError) as err:
        rights.check_offer(modes, [p], TODAY, listing_id="lst_me")
    assert err.value.rule == rule


def test_an_open_licence_does_not_block_ordinary_licences_or_transfer():
    rights.check_offer(["ordinary_licence", "transfer"], [patent(e("open_licence"))], TODAY, listing_id="lst_me")


def test_a_listing_does_not_conflict_with_its_own_offer():
    rights.check_offer(["transfer", "exclusive_licence"], [patent(e("transfer_offer", "lst_me"))], TODAY,
                       listing_id="lst_me")


# -- auctions and pledges -----------------------------------------------------------------
def auction(p: rights.PatentRights, **over) -> None:
    args = dict(listing_status="published", listing_kind="supply", listing_owner="org_a", listing_id="lst_1",
                requester="org_a", patents=[p], today=TODAY)
    args.update(over)
    rights.check_auction(**args)


@pytest.mark.parametrize("p, over, status, rule", [
    (patent(), {"listing_status": None}, 422, "listing-not-found"),
    (patent(), {"requester": "org_b"}, 403, "not-listing-owner"),
    (patent(), {"listing_status": "withdrawn"}, 409, "listing-not-published"),
    (patent(), {"listing_kind": "demand"}, 409, "listing-not-published"),
    (patent(legal_status="invalidated"), {}, 422, "patent-not-in-force"),
    (patent(e("auction", "auc_0")), {}, 409, "patent-already-under-auction"),
    (patent(e("pledge", "plg_1", "org_bank")), {}, 422, "pledged-without-pledgee-consent"),
])
def test_auction_rules(p, over, status, rule):
    with pytest.raises(DomainError) as err:
        auction(p, **over)
    assert (err.value.status, err.value.rule) == (status, rule)


def test_an_auction_may_run_on_a_patent_under_open_licence():
    auction(patent(e("open_licence"), e("ordinary_licence", "lic_1"), e("transfer_offer", "lst_1")))


@pytest.mark.parametrize("p, over, rule", [
    (patent(), {"requester": "org_b"}, "pledgor-not-owner"),
    (patent(), {"pledgee": None}, "pledgee-missing"),
    (patent(legal_status="lapsed"), {}, "patent-not-in-force"),
    (patent(e("transfer_offer", "lst_1")), {}, "patent-offered-for-transfer"),
    (patent(e("auction", "auc_1")), {}, "patent-offered-for-transfer"),
    (patent(e("pledge", "plg_0", "org_x")), {}, "patent-already-pledged"),
])
def test_pledge_rules(p, over, rule):
    args = dict(requester="org_a", pledgee="org_bank", co_owner_consents=[], today=TODAY)
    args.update(over)
    with pytest.raises(DomainError) as err:
        rights.check_pledge([p], **args)
    assert err.value.rule == rule


# -- legal status -------------------------------------------------------------------------
@pytest.mark.parametrize("current, target", [("granted", "fee_unpaid"), ("fee_unpaid", "granted"),
                                             ("granted", "suspended"), ("suspended", "granted"),
                                             ("lapsed", "granted"), ("granted", "invalidated"),
                                             ("pending", "granted"), ("granted", "granted")])
def test_allowed_legal_status_changes(current, target):
    rights.check_legal_status_change(current, target, grant_date=date(2023, 5, 1))


@pytest.mark.parametrize("current, target, grant_date, rule", [
    ("expired", "granted", date(2023, 5, 1), "legal-status-transition"),
    ("granted", "pending", date(2023, 5, 1), "legal-status-transition"),
    ("lapsed", "suspended", date(2023, 5, 1), "legal-status-transition"),
    ("pending", "granted", None, "grant-date-required"),
])
def test_refused_legal_status_changes(current, target, grant_date, rule):
    with pytest.raises(DomainError) as err:
        rights.check_legal_status_change(current, target, grant_date=grant_date)
    assert err.value.rule == rule




# -- deals -------------------------------------------------------------------------------
def deal(p: rights.PatentRights, kind: str, **over) -> None:
    args = dict(deal_kind=kind, requester="org_a", co_owner_consents=[], today=TODAY)
    args.update(over)
    rights.check_deal([p], **args)


@pytest.mark.parametrize("p, kind, over, rule", [
    (patent(), "transfer", {"requester": "org_b"}, "deal-owner-not-owner"),
    (patent(co_owner_org_ids=("org_b",)), "equity", {}, "co-owner-not-consented"),
    (patent(legal_status="lapsed"), "ordinary_licence", {}, "patent-not-in-force"),
    (patent(e(rights.AUCTION)), "transfer", {}, "patent-under-auction"),
    (patent(e(rights.DEAL_TRANSFER)), "equity", {}, "patent-under-deal"),
    (patent(e(rights.PLEDGE, holder="bank")), "transfer", {}, "pledged-without-pledgee-consent"),
    (patent(e(rights.PLEDGE, holder="bank")), "ordinary_licence", {}, "pledged-without-pledgee-consent"),
    (patent(e(rights.OPEN_LICENCE)), "exclusive_licence", {}, "open-licence-in-force"),  # art. 51 (3)
    (patent(e(rights.EXCLUSIVE_LICENCE)), "ordinary_licence", {}, "exclusive-licence-in-force"),
    (patent(e(rights.DEAL_EXCLUSIVE)), "sole_licence", {}, "exclusive-licence-in-force"),
])
def test_a_deal_is_refused_naming_its_rule(p, kind, over, rule):
    with pytest.raises(DomainError) as err:
        deal(p, kind, **over)
    assert err.value.rule == rule


@pytest.mark.parametrize("p, kind, over", [
    (patent(e(rights.OPEN_LICENCE)), "transfer", {}),  # the transfer ends the declaration (art. 50)
    (patent(e(rights.OPEN_LICENCE)), "ordinary_licence", {}),
    (patent(co_owner_org_ids=("org_b",)), "ordinary_licence", {}),  # art. 14: any co-owner may
    (patent(co_owner_org_ids=("org_b",)), "transfer", {"co_owner_consents": ["org_b"]}),
    (patent(e(rights.TRANSFER_OFFER)), "transfer", {}),  # its owner's own offer
])
def test_a_deal_is_granted(p, kind, over):
    deal(p, kind, **over)


def test_an_agreed_deal_bars_the_other_channels():
    with pytest.raises(DomainError) as err:
        declare(patent(e(rights.DEAL_EXCLUSIVE)))
    assert err.value.rule == "exclusive-licence-agreed"
    with pytest.raises(DomainError) as err:
        declare(patent(e(rights.DEAL_TRANSFER)))
    assert err.value.rule == "under-deal-for-transfer"
    with pytest.raises(Conflict) as err:
        rights.check_auction(listing_status="published", listing_kind="supply", listing_owner="org_a",
                             listing_id="l", requester="org_a", patents=[patent(e(rights.DEAL_TRANSFER))], today=TODAY)
    assert err.value.rule == "patent-under-deal"
