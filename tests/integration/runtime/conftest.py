"""Runtime tests use the market's organisations and bodies (from the listings and register tests)."""

from tests.integration.listings.conftest import register  # noqa: F401
