"""Logs a person can read: a client library retrying through an outage says so once a
minute, not once a try; a terminal gets readable lines."""

from __future__ import annotations

import logging

from services.runtime.http.observability import HumanLogFormatter, Throttle


def record(name: str, msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_a_repeated_client_error_is_let_through_once_a_minute_with_its_count():
    now = [0.0]
    throttle = Throttle(every_s=60, clock=lambda: now[0])
    outage = [record("aiokafka.consumer.fetcher", "Failed fetch offsets from %s: %s", 1, "NotLeader")
              for _ in range(1000)]
    passed = [r for r in outage if throttle.filter(r)]
    assert len(passed) == 1
    now[0] = 61.0
    later = record("aiokafka.consumer.fetcher", "Failed fetch offsets from %s: %s", 1, "NotLeader")
    assert throttle.filter(later) and "(and 999 more like it in the last 60 s)" in later.getMessage()
    # Another message, or our own loggers, are never held back.
    assert throttle.filter(record("aiokafka.conn", "Unable to connect to %s", "127.0.0.1"))
    assert all(throttle.filter(record("psm.access", "GET /v1/orgs 200")) for _ in range(5))


def test_a_human_line_has_time_level_logger_and_message():
    line = HumanLogFormatter().format(record("psm.access", "GET %s %d", "/v1/orgs", 200))
    time_part, level, logger, message = line.split(maxsplit=3)
    assert (level, logger, message) == ("ERROR", "psm.access", "GET /v1/orgs 200")
    assert len(time_part) == len("12:00:01.123")
