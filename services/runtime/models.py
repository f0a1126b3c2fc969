"""Base of every request body: a field the API does not define is refused (422 naming it),
never silently dropped."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Refusal(BaseModel):
    """Why another context refused a command it decides (the patent register's rule, as in
    a 4xx problem): shown on the resource the refused saga left behind."""

    rule: str
    detail: str
    status: int
    field: str | None = None


class Identified(BaseModel):
    """A resource as the API shows it: ``id`` is its identifier, whatever its schema names it
    (a patent's ``patent_id``, carried by the events as such, is also its ``id``)."""

    ID_FIELD: ClassVar[str]

    id: str = Field(description="the resource's id")

    @model_validator(mode="before")
    @classmethod
    def _id_from_own_field(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and cls.ID_FIELD in data:
            return {**data, "id": data[cls.ID_FIELD]}
        return data

    @classmethod
    def of(cls, snapshot: BaseModel, **extra: Any):
        """The view of a snapshot (an event's), with what only the API shows."""
        return cls.model_validate({**snapshot.model_dump(), **extra})
