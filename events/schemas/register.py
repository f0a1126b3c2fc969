"""Events of the patent register: reservations asked of it, its decisions, transfers of
ownership and changes of legal status.

The register (in the listings context) is the one writer of every patent's rights:
owner, co-owners, legal status and encumbrances. Another context that needs an
encumbrance (an open-licence declaration, an auction, a pledge, later a deal) asks for
it with a ``…reservation_requested`` event of its own aggregate; the register decides
against its own state in one transaction and answers with ``psm.reservation.granted.v1``
or ``psm.reservation.refused.v1`` (keyed by the reservation id, naming the rule that
refused it). The pattern is a reservation (a semantic lock) in a saga.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.schemas.listings import PatentSnapshot
from events.topics import Topic

ReservationKind = Literal["open_licence", "auction", "pledge", "deal"]


class ReservationRequest(BaseModel):
    """What a context asks of the register: an encumbrance of ``kind`` on patents (or on
    the patents of a listing), for ``reference_id`` (its own aggregate), on behalf of
    ``requester_org_id``, with the consents the law asks for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reservation_id: str
    kind: ReservationKind
    reference_id: str
    requester_org_id: str
    patent_ids: list[str] = []
    listing_id: str | None = None  # an auction reserves a listing's patents
    # The requester's earlier reservation of the same lot, which its own context has
    # ended (a relisted auction names the unsold one): the register may take its place
    # even if the event that ended it has not reached the register yet.
    replaces: str | None = None
    # 质物处置: an auction by a pledgee of the patents of the pledge named here, which it
    # defaulted on. The register lists them for the sale (``listing_id`` names the listing
    # to create) on behalf of their owner; the disposed pledge does not bar the sale.
    disposes: str | None = None
    holder_org_id: str | None = None  # e.g. the pledgee of a pledge, the counterparty of a deal
    # A deal: what it does with the patents (transfer, equity, or a licence of a kind).
    deal_kind: Literal["transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity"] | None = None
    co_owner_consents: list[str] = []
    pledgee_consents: list[str] = []
    evaluation_report_no: str | None = None


class _Requested(EventPayload):
    reservation: ReservationRequest


@event_type("psm.open_licence.reservation_requested.v1", Topic.LICENCES)
class OpenLicenceReservationRequested(_Requested):
    pass


@event_type("psm.auction.reservation_requested.v1", Topic.AUCTIONS)
class AuctionReservationRequested(_Requested):
    pass


@event_type("psm.pledge.reservation_requested.v1", Topic.FINANCING)
class PledgeReservationRequested(_Requested):
    """Pledges are asked for by the financing context (its own issue); until it exists
    the event is what a test (or an operator tool) records for a pledge."""


@event_type("psm.pledge.released.v1", Topic.FINANCING)
class PledgeReleased(EventPayload):
    pledge_id: str


@event_type("psm.reservation.granted.v1", Topic.LISTINGS)
class ReservationGranted(EventPayload):
    reservation_id: str
    kind: ReservationKind
    reference_id: str
    patent_ids: list[str]
    patents: list[PatentSnapshot]  # as the register holds them when it granted
    listing_id: str | None = None


@event_type("psm.reservation.refused.v1", Topic.LISTINGS)
class ReservationRefused(EventPayload):
    reservation_id: str
    kind: ReservationKind
    reference_id: str
    rule: str  # the stable slug of the rule that refused it
    detail: str
    status: int  # how an HTTP client is told: 409 (a conflict of state) or 422 (a rule)
    field: str | None = None


class TransferReference(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["auction", "deal"]
    id: str


@event_type("psm.patent.transferred.v1", Topic.LISTINGS)
class PatentTransferred(EventPayload):
    """Ownership moved with a completed deal. Licences granted before stay in force; the
    recording with CNIPA (著录项目变更, Patent Law art. 10) is due by ``recording_due_on``."""

    patent_id: str
    transfer_id: str
    from_org_id: str
    to_org_id: str
    reference: TransferReference
    price: Money | None = None
    transferred_at: datetime
    recording_due_on: date
    patent: PatentSnapshot


@event_type("psm.patent.legal_status_changed.v1", Topic.LISTINGS)
class PatentLegalStatusChanged(EventPayload):
    patent_id: str
    previous: str
    legal_status: str
    reason: str | None = None
    patent: PatentSnapshot


@event_type("psm.patent.transfer_recorded.v1", Topic.LISTINGS)
class PatentTransferRecorded(EventPayload):
    """CNIPA recorded a transfer (著录项目变更, Patent Law art. 10): it has legal effect."""

    patent_id: str
    transfer_id: str
    reference: TransferReference
    recording_no: str
    recorded_on: date
