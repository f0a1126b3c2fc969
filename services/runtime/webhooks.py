"""Standard Webhooks (standardwebhooks.com) signatures: what the marketplace signs when it
calls a venue, and verifies when a payment provider calls it. Pure.

``webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">``
keyed by the secret's bytes (``whsec_<base64>``); several space-separated signatures may
be sent (a secret being rotated), any one valid suffices.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_S = 300  # a signed message older (or newer) than this is a replay


class BadSignature(Exception):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the secret's key."""
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """The message id of a correctly signed, fresh message; else BadSignature saying why."""
    msg_id, stamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not stamp or not signatures:
        raise BadSignature("send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise BadSignature("webhook-timestamp is not whole seconds since the epoch") from None
    if abs(now - timestamp) > TOLERANCE_S:
        raise BadSignature(f"webhook-timestamp is more than {TOLERANCE_S} s from now")
    try:
        expected = sign(secret, msg_id, timestamp, body)
    except (binascii.Error, ValueError):
        raise BadSignature("the receiving secret is not a whsec_ secret") from None
    if not any(hmac.compare_digest(expected, s) for s in signatures.split() if s.startswith("v1,")):
        raise BadSignature("no webhook-signature matches the body")
    return msg_id
