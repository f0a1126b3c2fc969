"""JSON logs carrying the request's trace id, and Prometheus metrics per app."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from events.tracing import child_traceparent, trace_context

class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        tp = trace_context.get()
        if tp:
            entry["trace_id"] = tp.split("-")[1]
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class HumanLogFormatter(logging.Formatter):
    """``12:00:01.123 INFO  psm.access  GET /v1/orgs 200 3.1 ms  [trace 4bf92f…]`` — for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        line = f"{when} {record.levelname:<7} {record.name}  {record.getMessage()}"
        tp = trace_context.get()
        if tp:
            line += f"  [trace {tp.split('-')[1][:12]}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class Throttle(logging.Filter):
    """One line per distinct message (its template) and logger per ``every_s``: a client
    library retrying through an outage says so once, then how often it repeated, instead
    of thousands of identical lines (aiokafka logs each failed attempt)."""

    def __init__(self, every_s: float = 60.0, clock=time.monotonic) -> None:
        super().__init__()
        self.every_s, self.clock = every_s, clock
        self.seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(THROTTLED):
            return True
        key, now = (record.name, str(record.msg)), self.clock()
        first, repeats = self.seen.get(key, (None, 0))
        if first is not None and now - first < self.every_s:
            self.seen[key] = (first, repeats + 1)
            return False
        self.seen[key] = (now, 0)
        if repeats:
            record.msg = f"{record.msg} (and {repeats} more like it in the last {self.every_s:.0f} s)"
        return True


THROTTLED = ("aiokafka", "kafka", "elastic_transport", "asyncpg")


def configure_logging(level: str, fmt: str = "auto") -> None:
    import sys

    human = fmt == "human" or (fmt == "auto" and sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(HumanLogFormatter() if human else JsonLogFormatter())
    handler.addFilter(Throttle())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries speak up only when something is wrong: the Elasticsearch client
    # logs every request at INFO (thousands of lines), aiokafka its routine at INFO.
    for chatty in THROTTLED:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


access = logging.getLogger("psm.access")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})  # probes: their answers are metrics
CALLER_ORG = web.RequestKey("caller_org", str)


class Metrics:
    """One app's metrics (its own registry, so several apps in one process don't clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("psm_http_requests", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("psm_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.outbox_unpublished = Gauge("psm_outbox_unpublished", "Outbox rows not yet in Kafka", ["schema"],
                                        registry=self.registry)
        self.outbox_oldest = Gauge("psm_outbox_oldest_unpublished_seconds", "Age of the oldest unpublished row",
                                   ["schema"], registry=self.registry)
        self.consumer_lag = Gauge("psm_consumer_lag", "Messages not yet consumed", ["consumer", "partition"],
                                  registry=self.registry)
        self.consumer_dead_lettered = Gauge("psm_consumer_dead_lettered", "Events sent to the DLQ", ["consumer"],
                                            registry=self.registry)
        self.consumer_parked = Gauge("psm_consumer_parked_events", "Events waiting for their predecessor",
                                     ["consumer"], registry=self.registry)


def observability_middleware(metrics: Metrics):
    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        tp = child_traceparent(request.headers.get("traceparent"))
        token = trace_context.set(tp)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["traceparent"] = tp
            return response
        except web.HTTPException as e:
            status = e.status
            raise
        finally:
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
            seconds = time.perf_counter() - started
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(request.method, route).observe(seconds)
            if route not in QUIET_ROUTES:
                # One line a request: what a person reading the log first wants (the
                # caller's organisation when it authenticated, the trace id to follow).
                access.info("%s %s %d %.1f ms org=%s", request.method, route, status, seconds * 1000,
                            request.get(CALLER_ORG, "-"))
            trace_context.reset(token)

    return middleware
