"""Every event payload schema, one module per bounded context (importing registers them)."""

from events.schemas import (  # noqa: F401
    auctions, deals, distribution, financing, licences, listings, platform, register, roadshows,
)
