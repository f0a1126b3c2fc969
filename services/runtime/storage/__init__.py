"""Storage plumbing: the PostgreSQL pool and per-schema migrations, the Elasticsearch client."""

from services.runtime.storage.catalogue_client import elasticsearch_client
from services.runtime.storage.migrations import apply_migrations
from services.runtime.storage.pool import close_pool, create_pool

__all__ = ["apply_migrations", "close_pool", "create_pool", "elasticsearch_client"]
