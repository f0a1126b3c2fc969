"""Every event payload schema, one module per bounded context (importing registers them)."""

from events.schemas import auctions, licences, listings, platform, pledges  # noqa: F401
