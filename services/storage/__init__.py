"""PostgreSQL plumbing: the pool and per-schema migrations."""

from services.storage.migrations import apply_migrations
from services.storage.pool import create_pool

__all__ = ["apply_migrations", "create_pool"]
