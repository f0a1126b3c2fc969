"""Who may do what: the principal behind a request, and declarative access rules.

Routes declare a ``Rule`` (``allow=kinds("operator")``); handlers check resources
with ``principal.require_acting_as(owner_id)`` (or ``require_self`` for what only the
organisation itself may do). Nothing else in the code inspects
``org.kind`` to decide access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.runtime.errors import Forbidden

OPERATOR_ORG_ID = "org_operator"


@dataclass(frozen=True)
class Principal:
    """The authenticated organisation (``org_id``/``kind``), and whom it acts for.

    ``acting_for`` is set when a venue acts under an institution's mandate
    (``On-Behalf-Of``); ``effective_org_id`` is then the institution.
    """

    org_id: str
    kind: str
    key_id: str
    acting_for: str | None = None
    acting_for_kind: str | None = None

    @property
    def effective_org_id(self) -> str:
        return self.acting_for or self.org_id

    @property
    def effective_kind(self) -> str:
        return self.acting_for_kind or self.kind

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"

    def acts_as(self, org_id: str) -> bool:
        return self.is_operator or self.effective_org_id == org_id

    def require_acting_as(self, org_id: str, what: str = "this resource") -> None:
        if not self.acts_as(org_id):
            raise Forbidden(f"only its owner (or a venue it mandated) may change {what}", rule="not-owner")

    def require_self(self, org_id: str, what: str) -> None:
        """The organisation itself (or the operator), never a venue acting under its mandate.

        For what governs the mandate itself (keys, mandates): a venue that could grant
        mandates or mint keys for an institution would keep its power after the
        institution revoked the mandate.
        """
        if not (self.is_operator or (self.org_id == org_id and self.acting_for is None)):
            raise Forbidden(f"only the organisation itself may manage {what}", rule="not-self")


@dataclass(frozen=True)
class Rule:
    """A route-level permission: ``check(principal)``; ``describe`` goes into OpenAPI."""

    describe: str
    check: Callable[[Principal], bool]

    def __or__(self, other: Rule) -> Rule:
        return Rule(f"{self.describe} or {other.describe}", lambda p: self.check(p) or other.check(p))

    def enforce(self, principal: Principal) -> None:
        if not self.check(principal):
            raise Forbidden(f"allowed to: {self.describe}; you are a {principal.effective_kind}", rule="kind-not-allowed")


def kinds(*allowed: str) -> Rule:
    """Organisations of these kinds (judged on the organisation acted for). The operator always passes."""
    wanted = frozenset(allowed)
    return Rule(" or ".join(sorted(wanted | {"operator"})),
                lambda p: p.is_operator or p.effective_kind in wanted)


OPERATOR = Rule("operator", lambda p: p.is_operator)
ANY_ORG = Rule("any organisation", lambda p: True)
