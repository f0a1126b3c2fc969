"""A live auction in the console, from two browser sessions: every bid, the soft close's
extension and a dropped WebSocket that resumes without missing a bid."""

from __future__ import annotations

from tests.e2e.conftest import key_of
from tests.integration.auctions.conftest import bid


async def test_two_bidders_watch_the_same_auction_live_through_a_soft_close_and_a_dropped_socket(auction_house, browsers):
    seller, listing_id = await auction_house.lot()
    # Every bid lands inside the 10-minute window, so each extends the end to now + 5 minutes.
    auction = await auction_house.auction(seller, listing_id, start="1000.00", inc="100.00", seconds=120,
                                          window_s=600, extend_s=300)
    a, b, c = [await auction_house.bidder(auction["id"]) for _ in range(3)]
    page = f"/auctions/{auction['id']}"
    alice, bob = await browsers(), await browsers()
    for browser, org in ((alice, a), (bob, b)):
        await browser.sign_in(key_of(org), then=page)
        await browser.go(page)
        await browser.wait_text("[data-test=price]", lambda s: s == "¥1,000.00", "the start price shown")
        await browser.wait(lambda br=browser: br.driver.execute_script(
            "return document.querySelector('[data-test=live]').dataset.state") == "live", "the live socket open")
    first_end = await alice.attr("[data-test=ends-at]", "data-ends-at")

    # Alice bids from her page (the form offers the start price); both pages update.
    await alice.click("[data-test=place-bid]")
    await alice.wait_text("[data-test=bid-accepted]", lambda s: s != "", "Alice's bid accepted")
    for browser in (alice, bob):
        await browser.wait_text("[data-test=bid-count]", lambda s: s == "1", "one bid")
        await browser.wait_text("[data-test=price]", lambda s: s == "¥1,000.00", "the price of the first bid")
        # The soft close moved the end, and the countdown follows it.
        await browser.wait(lambda br=browser: br.driver.execute_script(
            "return document.querySelector('[data-test=extensions]').dataset.count") == "1", "one extension")
        moved = await browser.attr("[data-test=ends-at]", "data-ends-at")
        assert moved > first_end, (moved, first_end)
    assert not await alice.js("return document.querySelector('[data-test=leading]').hidden")
    assert await bob.js("return document.querySelector('[data-test=leading]').hidden")

    # Bob outbids her from his page (the form now offers price + increment).
    await bob.wait(lambda: bob.driver.execute_script(
        "return document.querySelector('[data-test=amount]').value") == "1100.00", "Bob's form offering 1100.00")
    await bob.click("[data-test=place-bid]")
    for browser in (alice, bob):
        await browser.wait_text("[data-test=bid-count]", lambda s: s == "2", "two bids")
        await browser.wait_text("[data-test=price]", lambda s: s == "¥1,100.00", "Bob's price")
        await browser.wait(lambda br=browser: br.driver.execute_script(
            "return document.querySelector('[data-test=extensions]').dataset.count") == "2", "two extensions")
    await bob.wait(lambda: not bob.driver.execute_script("return document.querySelector('[data-test=leading]').hidden"),
                   "Bob leading")
    await alice.screenshot("auction-alice")
    await bob.screenshot("auction-bob")

    # Alice's connection drops for three seconds; meanwhile two bids are accepted.
    await alice.js("window.psmConsole.page.live.drop(3000)")
    await alice.wait(lambda: alice.driver.execute_script(
        "return document.querySelector('[data-test=live]').dataset.state") == "reconnecting", "Alice reconnecting")
    assert (await bid(a, auction["id"], "1200.00")).status == 201
    assert (await bid(c, auction["id"], "1300.00")).status == 201
    await bob.wait_text("[data-test=bid-count]", lambda s: s == "4", "Bob sees four bids live")
    # Alice's page has not heard of them: nothing reached her while disconnected.
    assert await alice.text("[data-test=bid-count]") == "2"
    assert await alice.js("return window.psmConsole.page.live.connections") == 1

    # She resumes from the last sequence she applied and misses nothing.
    await alice.wait_text("[data-test=bid-count]", lambda s: s == "4", "Alice back with four bids", timeout=20)
    assert await alice.js("return window.psmConsole.page.live.connections") == 2
    await alice.wait_text("[data-test=price]", lambda s: s == "¥1,300.00", "the latest price after resuming")
    for browser in (alice, bob):
        seqs = await browser.js("return [...document.querySelectorAll('[data-test=history] li')].map(li => +li.dataset.seq)")
        assert seqs == [4, 3, 2, 1], seqs
    assert await alice.js("return document.querySelector('[data-test=extensions]').dataset.count") == "4"
    # Her own bid is marked as hers in the history, the others masked.
    mine = await alice.js("return [...document.querySelectorAll('[data-test=history] li.mine')].map(li => +li.dataset.seq)")
    assert mine == [3, 1], mine
