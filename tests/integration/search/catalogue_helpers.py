"""Helpers of the catalogue tests (a module of its own: every test folder has a ``conftest``)."""

from __future__ import annotations


def ids(result: dict) -> list[str]:
    """The ids of a search or matches result, in order."""
    return [i["id"] for i in result["items"]]
