from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from services.auctions import domain
from services.runtime.errors import ValidationFailed

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def auction(reserve=None, window_s=0, extend_s=0, start="1000", inc="100", minutes=60) -> domain.Auction:
    terms = domain.Terms(starts_at=T0, ends_at=T0 + timedelta(minutes=minutes), start_price=D(start),
                         reserve_price=D(reserve) if reserve else None, increment=D(inc), deposit=D("100"),
                         window_s=window_s, extend_s=extend_s)
    return domain.Auction(id="auc_1", listing_id="lst_1", terms=terms)


def bid(a: domain.Auction, who: str, amount: str, max_amount: str | None = None, at: int = 1):
    seq = a.bid_count + 1
    return a.place_bid(who, D(amount), D(max_amount) if max_amount else None, T0 + timedelta(minutes=at), seq)


def amounts(outcome) -> list[tuple[str, str, bool]]:
    return [(b.bidder, str(b.amount), b.proxy) for b in outcome.accepted]


def refusal(rule: str, fn):
    with pytest.raises(domain.BidRefused) as e:
        fn()
    assert e.value.rule == rule


def test_first_bid_must_reach_the_start_price():
    a = auction()
    refusal("bid-too-low", lambda: bid(a, "A", "900"))
    assert amounts(bid(a, "A", "1000")) == [("A", "1000", False)]


def test_later_bids_go_up_in_whole_increments():
    a = auction()
    bid(a, "A", "1000")
    refusal("bid-too-low", lambda: bid(a, "B", "1050"))
    refusal("bid-not-on-increment", lambda: bid(a, "B", "1150"))
    assert amounts(bid(a, "B", "1300")) == [("B", "1300", False)]


def test_the_leader_cannot_raise_its_own_bid():
    a = auction()
    bid(a, "A", "1000")
    refusal("already-leading", lambda: bid(a, "A", "1100"))


def test_no_bids_before_the_start_or_after_the_end():
    a = auction()
    refusal("auction-not-open", lambda: bid(a, "A", "1000", at=-1))
    refusal("auction-not-open", lambda: bid(a, "A", "1000", at=61))


def test_a_proxy_answers_a_lower_challenger_at_once():
    a = auction()
    bid(a, "A", "1000", max_amount="2000")
    out = bid(a, "B", "1100")
    assert out.refused.rule == "outbid-by-proxy"
    assert amounts(out) == [("A", "1200", True)]
    assert a.leader == "A" and a.current_price == D("1200")


def test_the_higher_maximum_wins_one_increment_above_the_other():
    a = auction()
    bid(a, "A", "1000", max_amount="2000")
    out = bid(a, "B", "1100", max_amount="3000")
    assert out.refused is None
    assert amounts(out) == [("A", "2000", True), ("B", "2100", True)]
    assert a.leader == "B"


def test_on_equal_maxima_the_earlier_bidder_keeps_the_lead():
    a = auction()
    bid(a, "A", "1000", max_amount="2000")
    out = bid(a, "B", "1100", max_amount="2000")
    assert out.refused.rule == "outbid-by-proxy"
    assert amounts(out) == [("A", "2000", True)]
    assert a.leader == "A"


def test_the_winning_price_is_capped_at_the_winners_maximum():
    a = auction()
    bid(a, "A", "1000", max_amount="1500")
    out = bid(a, "B", "1100", max_amount="1600")
    assert amounts(out) == [("A", "1500", True), ("B", "1600", True)]


def test_a_proxy_meets_the_hidden_reserve_at_once():
    a = auction(reserve="1800")
    out = bid(a, "A", "1000", max_amount="2500")
    assert amounts(out) == [("A", "1000", False), ("A", "1800", True)]
    assert a.reserve_met


def test_accepted_bids_strictly_increase_with_consecutive_sequences():
    a = auction(reserve="1750")
    history = []
    for who, amount, mx in [("A", "1000", "1400"), ("B", "1100", None), ("B", "1500", "1900"),
                            ("C", "2000", None), ("A", "2100", "2600"), ("B", "2200", "2600")]:
        try:
            out = bid(a, who, amount, mx)
        except domain.BidRefused:
            continue
        history.extend(out.accepted)
    assert [b.sequence for b in history] == list(range(1, len(history) + 1))
    assert all(x.amount < y.amount for x, y in zip(history, history[1:]))


def test_a_bid_inside_the_window_extends_the_end():
    a = auction(window_s=120, extend_s=300, minutes=10)
    out = bid(a, "A", "1000", at=9)  # 60 s before the end
    assert out.extended_to == T0 + timedelta(minutes=9, seconds=300)
    out = bid(a, "B", "1100", at=13)
    assert out.extended_to == T0 + timedelta(minutes=13, seconds=300)
    assert bid(a, "A", "1200", at=14).extended_to is None  # 4 min left: outside the window


def test_close_outcomes():
    won = auction(reserve="1100")
    bid(won, "A", "1000")
    bid(won, "B", "1100")
    assert won.close(T0 + timedelta(minutes=60)) == domain.CLOSED_WON
    assert (won.winner, won.final_price) == ("B", D("1100"))
    unsold = auction(reserve="5000")
    bid(unsold, "A", "1000")
    assert unsold.close(T0 + timedelta(minutes=59)) is None
    assert unsold.close(T0 + timedelta(minutes=60)) == domain.CLOSED_UNSOLD
    assert auction().close(T0 + timedelta(hours=2)) == domain.CLOSED_UNSOLD


def test_settlement_goes_through_export_review_for_a_foreign_winner():
    a = auction()
    bid(a, "A", "1000")
    a.close(T0 + timedelta(hours=1))
    assert a.settle("US") == domain.PENDING_EXPORT_REVIEW
    assert a.review_export(approve=True) == domain.SETTLED
    b = auction()
    bid(b, "A", "1000")
    b.close(T0 + timedelta(hours=1))
    assert b.settle("CN") == domain.SETTLED


def test_max_amount_below_amount_is_invalid():
    a = auction()
    with pytest.raises(ValidationFailed):
        bid(a, "A", "1000", max_amount="900")


# -- 质物处置: priority purchase holders and relisting --------------------------------------
def priority_bid(a: domain.Auction, who: str, amount: str, max_amount: str | None = None, at: int = 1):
    return a.place_bid(who, D(amount), D(max_amount) if max_amount else None, T0 + timedelta(minutes=at),
                       a.bid_count + 1, priority=True)


def test_a_priority_holder_wins_a_tie_and_no_one_else_does():
    a = auction()
    bid(a, "A", "1500")
    refusal("bid-too-low", lambda: bid(a, "B", "1500"))  # no right: must go higher
    assert amounts(priority_bid(a, "P", "1500")) == [("P", "1500", False)]
    assert (a.leader, a.current_price, a.leader_priority) == ("P", D("1500"), True)
    refusal("bid-too-low", lambda: priority_bid(a, "Q", "1500"))  # a holder leads: a tie is its
    assert amounts(bid(a, "A", "1600")) == [("A", "1600", False)]  # outbid in the ordinary way
    assert a.leader_priority is False


def test_the_leaders_proxy_answers_a_priority_match():
    a = auction()
    bid(a, "A", "1500", max_amount="2000")
    outcome = priority_bid(a, "P", "1500")
    assert outcome.refused is not None and a.leader == "A" and a.current_price == D("1600")


def test_a_disposal_is_relisted_within_30_days_at_most_20_percent_lower():
    closed = T0
    domain.check_disposal_relist(closed_at=closed, old_start=D("1000"), new_start=D("800.00"),
                                 now=closed + timedelta(days=30))
    with pytest.raises(domain.AuctionError) as e:
        domain.check_disposal_relist(closed_at=closed, old_start=D("1000"), new_start=D("799.99"), now=closed)
    assert e.value.rule == "relist-too-low"
    with pytest.raises(domain.AuctionError) as e:
        domain.check_disposal_relist(closed_at=closed, old_start=D("1000"), new_start=D("900"),
                                     now=closed + timedelta(days=31))
    assert e.value.rule == "relist-too-late"
