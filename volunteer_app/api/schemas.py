"""Request and response models of API v1; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")


class Strict(BaseModel):
    """Refuse unknown fields, trim strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorBody(BaseModel):
    """What went wrong: a stable code and a message in the caller's language."""

    code: str = Field(examples=["already_checked_out"])
    message: str = Field(examples=["您已签退。"])


class Error(BaseModel):
    """Every error answer."""

    error: ErrorBody


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=200)


class ActivityOut(BaseModel):
    """An activity."""

    id: int
    title: str
    station_id: int
    station: str
    category: str = Field(examples=["health"])
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    status: Literal["draft", "published", "finished", "cancelled"]
    checked_in: int = Field(ge=0, description="Number of attendance records.")


class CheckInOut(BaseModel):
    """An attendance record."""

    id: int
    volunteer_id: int
    name: str
    phone: str = Field(description="Masked, e.g. 138****1234.", examples=["138****1234"])
    checked_in_at: datetime
    checked_out_at: datetime | None
    minutes: int = Field(ge=0, description="Credited minutes (multiple of 30).")
    hours: float = Field(ge=0)
    origin: Literal["scan", "organizer"]
    status: Literal["pending", "confirmed"]


class CheckInResult(CheckInOut):
    """An attendance record after a check-in or check-out request."""

    already: bool = Field(
        description="True when the request repeated one already done; nothing was changed."
    )


class VolunteerRef(Strict):
    """Who: a personal card code, or a mainland mobile number (and a name for a walk-in)."""

    card: str | None = Field(
        None, min_length=1, max_length=200, description="Code of the volunteer's QR card."
    )
    phone: str | None = Field(None, min_length=1, max_length=40, examples=["13812341234"])
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Needed when the number is new: the volunteer is registered as a walk-in.",
        examples=["李秀英"],
    )

    @model_validator(mode="after")
    def one_way_to_identify(self) -> VolunteerRef:
        """Exactly one of card and phone."""
        if (self.card is None) == (self.phone is None):
            raise ValueError("give either card or phone")
        if self.card is not None and self.name is not None:
            raise ValueError("name goes with phone, not with card")
        return self
