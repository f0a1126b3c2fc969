"""PostgreSQL plumbing: the pool and per-schema migrations."""

from services.runtime.storage.migrations import apply_migrations
from services.runtime.storage.pool import close_pool, create_pool

__all__ = ["apply_migrations", "close_pool", "create_pool"]
