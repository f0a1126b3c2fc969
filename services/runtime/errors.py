"""The errors a domain or handler may raise; the HTTP layer maps each to problem+json.

Pure: no web framework here, so ``domain.py`` modules can raise these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """A request broke a rule. ``rule`` is a stable slug that clients can switch on."""

    status = 422
    title = "Rule violated"
    default_rule = "rule-violated"

    def __init__(self, detail: str, *, rule: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = rule or self.default_rule
        self.errors = [FieldError(field, detail)] if field else []


class ValidationFailed(DomainError):
    title = "Validation failed"
    default_rule = "validation"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class NotFound(DomainError):
    status = 404
    title = "Not found"
    default_rule = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    default_rule = "conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    default_rule = "forbidden"


class Refused(DomainError):
    """A rule decided by another context (the patent register refusing a reservation),
    told to the client as that context stated it."""

    TITLES = {403: "Forbidden", 404: "Not found", 409: "Conflict"}

    def __init__(self, *, rule: str, detail: str, status: int, field: str | None = None,
                 instance: str | None = None) -> None:
        super().__init__(detail, rule=rule, field=field)
        self.status = status
        self.instance = instance  # where the refused request is recorded (e.g. /v1/auctions/{id})
        self.title = self.TITLES.get(status, DomainError.title)


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"
    default_rule = "unauthorized"


class DependencyUnavailable(DomainError):
    """A server this service needs (PostgreSQL, Kafka, Elasticsearch) is away: nothing was
    done, and the client may try again after ``retry_after`` seconds."""

    status = 503
    title = "Service Unavailable"
    default_rule = "dependency-unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, rule: str | None = None) -> None:
        super().__init__(detail, rule=rule)
        self.retry_after = retry_after
