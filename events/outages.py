"""An outage said twice: once when a dependency stops answering, once when it is back.

Everything in a process that talks to PostgreSQL, Kafka or Elasticsearch (relays,
consumers, the read-your-writes barrier, requests) reports its failures and successes
here instead of logging each one: a 20-second Kafka outage is two lines, not one per
retry of every part.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import errors as kafka

log = logging.getLogger("psm.outage")


# What an unreachable PostgreSQL raises: a refused or lost connection, a server starting
# up or shutting down, no free connection slot (a bare OSError comes from asyncpg
# connecting: the other clients wrap their own network errors).
PG_UNAVAILABLE = (OSError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
                  asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.AdminShutdownError,
                  asyncpg.CrashShutdownError, asyncpg.TooManyConnectionsError)

# What a Kafka that is away looks like: no connection, no answer in time, no broker or
# coordinator to talk to. A group's membership changing under a consumer (a replica
# joined: CommitFailedError, RebalanceInProgressError, IllegalGenerationError…) is
# Kafka answering, and no outage: taking it for one made requests of a process that
# had just been joined by another replica answer 503 (seen in CI, test_replicas).
KAFKA_UNAVAILABLE = (kafka.KafkaConnectionError, kafka.NoBrokersAvailable, kafka.NodeNotReadyError,
                     kafka.KafkaTimeoutError, kafka.RequestTimedOutError, kafka.KafkaUnavailableError,
                     kafka.MetadataEmptyBrokerList, kafka.BrokerNotAvailableError,
                     kafka.CoordinatorNotAvailableError, kafka.GroupCoordinatorNotAvailableError)


def dependency_of(error: BaseException) -> str | None:
    """Which server an error says is away, or None when it says something else (a bug,
    a refused statement): that is no outage."""
    if isinstance(error, KAFKA_UNAVAILABLE):
        return "kafka"
    if type(error).__module__.startswith(("elastic_transport", "elasticsearch")):
        return "elasticsearch"
    if isinstance(error, PG_UNAVAILABLE):
        return "postgresql"
    if isinstance(error, TimeoutError):
        return "postgresql or kafka (timed out)"
    return None


@dataclass
class _Down:
    since: float
    first: str
    failures: int = 1


class Outages:
    """Which dependencies are away, as this process has seen them."""

    def __init__(self, logger: logging.Logger = log, clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.clock = logger, clock
        self._down: dict[str, _Down] = {}

    def is_down(self, dependency: str) -> bool:
        return dependency in self._down

    def failed(self, dependency: str, what: str) -> None:
        """``what`` (who failed, and how) found ``dependency`` away."""
        down = self._down.get(dependency)
        if down is not None:
            down.failures += 1
            self.log.debug("%s still unreachable: %s", dependency, what)
            return
        self._down[dependency] = _Down(self.clock(), what)
        self.log.warning("%s unreachable (%s): waiting for it; requests that need it answer 503 meanwhile",
                         dependency, what)

    def answered(self, dependency: str) -> None:
        """``dependency`` answered: the outage, if there was one, is over."""
        down = self._down.pop(dependency, None)
        if down is not None:
            self.log.warning("%s reachable again after %.1f s (%d failures meanwhile, first: %s)", dependency,
                             self.clock() - down.since, down.failures, down.first)


# One per process: its parts share what they saw.
OUTAGES = Outages()
