"""Every event payload schema, one module per bounded context (importing registers them)."""

from events.schemas import auctions, distribution, licences, listings, platform, register, roadshows  # noqa: F401
