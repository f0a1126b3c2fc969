"""Opaque identifiers: ``<prefix>_<16 hex digits>`` (64 random bits), the one way every
context names what it creates."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
