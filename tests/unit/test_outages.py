"""An outage is said when it starts and when it ends, whatever the number of failures between."""

from __future__ import annotations

import logging

import asyncpg
from aiokafka.errors import (CommitFailedError, IllegalGenerationError, KafkaConnectionError, KafkaTimeoutError,
                             RebalanceInProgressError)
from elastic_transport import ConnectionError as EsConnectionError

from events.outages import Outages, dependency_of


def test_said_once_at_the_start_and_once_at_the_end(caplog):
    now = [10.0]
    outages = Outages(logging.getLogger("test.outage"), clock=lambda: now[0])
    caplog.set_level(logging.DEBUG, "test.outage")
    outages.answered("kafka")  # no outage: nothing to say
    for i in range(1000):
        outages.failed("kafka", f"part {i % 7}")
    assert outages.is_down("kafka") and not outages.is_down("postgresql")
    now[0] += 12.5
    outages.answered("kafka")
    outages.answered("kafka")
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == ["kafka unreachable (part 0): waiting for it; requests that need it answer 503 meanwhile",
                    "kafka reachable again after 12.5 s (1000 failures meanwhile, first: part 0)"]
    assert not outages.is_down("kafka")


def test_each_dependency_has_its_own_outage(caplog):
    outages = Outages(logging.getLogger("test.outage"))
    caplog.set_level(logging.WARNING, "test.outage")
    outages.failed("kafka", "a")
    outages.failed("postgresql", "b")
    outages.answered("kafka")
    assert outages.is_down("postgresql") and not outages.is_down("kafka")
    assert [r.getMessage().split(" ")[:2] for r in caplog.records] == [
        ["kafka", "unreachable"], ["postgresql", "unreachable"], ["kafka", "reachable"]]


def test_which_server_an_error_names():
    assert dependency_of(KafkaConnectionError("no broker")) == "kafka"
    assert dependency_of(KafkaTimeoutError()) == "kafka"
    # A consumer group's membership changing (another replica joined) is Kafka answering.
    assert dependency_of(CommitFailedError("rebalanced")) is None
    assert dependency_of(RebalanceInProgressError()) is None
    assert dependency_of(IllegalGenerationError()) is None
    assert dependency_of(ConnectionRefusedError(111, "refused")) == "postgresql"
    assert dependency_of(asyncpg.CannotConnectNowError("starting up")) == "postgresql"
    assert dependency_of(EsConnectionError("refused")) == "elasticsearch"
    # A refused statement or a bug is no outage: it is logged as what it is.
    assert dependency_of(asyncpg.UniqueViolationError("duplicate")) is None
    assert dependency_of(ValueError("bug")) is None
