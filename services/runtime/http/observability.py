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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries speak up only when something is wrong: the Elasticsearch client
    # logs every request at INFO (thousands of lines), aiokafka its routine at INFO.
    for chatty in ("aiokafka", "elastic_transport"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


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
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(request.method, route).observe(time.perf_counter() - started)
            trace_context.reset(token)

    return middleware
