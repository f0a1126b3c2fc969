"""The per-process key cache: nothing is remembered while not listening, a notice forgets,
and a row read across a notice is not stored (it may be the state before the change)."""

from __future__ import annotations

from services.runtime.auth import KeyCache, KeyRow

ROW = KeyRow("digest", False, "org_a", "institution")


def test_nothing_is_remembered_unless_listening():
    cache = KeyCache("postgresql://unused")
    cache.put("key_1", ROW, cache.generation)
    assert cache.get("key_1") is None
    cache.listening = True
    cache.put("key_1", ROW, cache.generation)
    assert cache.get("key_1") == ROW
    cache.listening = False  # the LISTEN connection lost: ask the table again
    assert cache.get("key_1") is None


def test_a_notice_forgets_and_a_read_across_it_is_not_stored():
    cache = KeyCache("postgresql://unused")
    cache.listening = True
    cache.put("key_1", ROW, cache.generation)
    cache._on_notice(None, 0, "psm_api_key_changed", "key_1")
    assert cache.get("key_1") is None
    before = cache.generation  # a request starts reading the row …
    cache._on_notice(None, 0, "psm_api_key_changed", "key_2")  # … a revocation commits meanwhile …
    cache.put("key_1", ROW, before)  # … and what it read may be older: not kept
    assert cache.get("key_1") is None


def test_entries_expire_and_the_size_is_bounded():
    now = [0.0]
    cache = KeyCache("postgresql://unused", ttl_s=10, max_entries=2, clock=lambda: now[0])
    cache.listening = True
    cache.put("key_1", ROW, cache.generation)
    now[0] = 11
    assert cache.get("key_1") is None
    for k in ("a", "b", "c"):
        cache.put(k, ROW, cache.generation)
    assert len(cache._rows) <= 2
