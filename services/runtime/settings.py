"""The one settings object of the marketplace.

Read once, in ``main()`` (or by a test that builds ``Settings(...)`` itself), and
passed down; nothing else reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the three servers are and how this process behaves. Env prefix ``PSM_``."""

    model_config = SettingsConfigDict(env_prefix="PSM_", frozen=True, extra="ignore")

    database_url: str = "postgresql://psm@127.0.0.1:55432/psm"
    kafka_bootstrap: str = "127.0.0.1:59092"
    elasticsearch_url: str = "http://127.0.0.1:59200"

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    operator_key: SecretStr | None = None
    # The payment provider's Standard Webhooks secret (whsec_…): its signed callback
    # confirms a deal's payment (POST /v1/deals/{id}/payment-callback). Unset: no callbacks.
    payment_callback_secret: SecretStr | None = None

    # Namespaces, so that several deployments (or test runs) share one set of servers
    # without seeing each other's topics or indices.
    topic_prefix: str = ""
    topic_partitions: int = Field(default=6, ge=1)
    index_prefix: str = "psm"
    # The catalogue's patent vocabulary (synonyms, abbreviations, IPC hints; format in the
    # file): read at query time, re-read when it changes. Unset: the one in search/.
    vocabulary_path: Path | None = None

    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)
    # The longest a statement may take (asyncpg command_timeout): past it, it fails and
    # its connection is dropped (see services/runtime/storage/pool.py).
    db_command_timeout_s: float = Field(default=60.0, gt=0)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)  # a JSON body
    max_upload_bytes: int = Field(default=256 << 20, ge=1024)  # an NDJSON import
    log_level: str = "INFO"
    # human: one readable line a record (a terminal); json: one JSON object a line (a log
    # collector); auto: human when stderr is a terminal, json otherwise.
    log_format: str = Field(default="auto", pattern="^(auto|human|json)$")

    # Read-your-writes (services/runtime/http/consistency.py): how long a request waits for its
    # service's consumers to catch up, and for its own events to reach Kafka; and how
    # long a command decided by another context waits for the decision before it
    # answers 202 with a resource to poll.
    consistency_wait_s: float = Field(default=5.0, ge=0)
    saga_wait_s: float = Field(default=5.0, ge=0)

    # Retention (services/runtime/storage/retention.py): how long rows that only record the
    # past are kept, and how often they are pruned. Kafka keeps the events themselves.
    outbox_retention_s: float = Field(default=7 * 24 * 3600, ge=0)  # published rows only
    processed_events_retention_s: float = Field(default=7 * 24 * 3600, ge=0)
    idempotency_retention_s: float = Field(default=24 * 3600, ge=0)
    delivery_retention_s: float = Field(default=7 * 24 * 3600, ge=0)  # delivered or dropped
    dead_letter_retention_s: float = Field(default=30 * 24 * 3600, ge=0)
    prune_interval_s: float = Field(default=300.0, gt=0)

    # Webhook delivery (distribution's DeliveryPolicy). Unset: the policy's production
    # defaults. A deployment (or a crash drill) may shorten them; the lease is how long
    # a killed process's endpoints wait before another process takes them over, and
    # must outlast one request (``delivery_request_timeout_s``).
    delivery_max_attempts: int | None = Field(default=None, ge=1)
    delivery_backoff_base_s: float | None = Field(default=None, gt=0)
    delivery_backoff_cap_s: float | None = Field(default=None, gt=0)
    delivery_request_timeout_s: float | None = Field(default=None, gt=0, le=15)
    delivery_lease_s: float | None = Field(default=None, gt=0)
    # Webhook targets on loopback, private or link-local addresses are refused (SSRF);
    # tests and local demos, whose receivers run on this machine, allow them.
    webhooks_allow_private: bool = False
    # After a secret rotation, deliveries carry the old secret's signature too for this long.
    webhook_secret_overlap_s: float = Field(default=24 * 3600, ge=0)
