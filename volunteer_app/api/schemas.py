"""Request and response models of API v1; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from volunteer_app.params import ID_MAX
from volunteer_app.volunteers.rules import MOBILE_PATTERN, NAME_MAX_LENGTH

T = TypeVar("T")

#: What the phone fields accept: the number once spaces, dashes, brackets, full-width digits
#: and a +86 / 0086 / 86 prefix are taken away must match this pattern (volunteers.rules).
PHONE = {
    "description": "A mainland mobile number; spaces, dashes, brackets, full-width digits and "
    f"a +86 prefix are allowed, the rest must match {MOBILE_PATTERN}.",
    "x-normalized-pattern": MOBILE_PATTERN,
}


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


class ClosedElsewhere(BaseModel):
    """A record at another activity that a check-in closed: one person is in one place."""

    id: int
    activity_id: int
    activity: str
    checked_out_at: datetime
    minutes: int = Field(ge=0)


class CheckInResult(CheckInOut):
    """An attendance record after a check-in or check-out request."""

    already: bool = Field(
        description="True when the request repeated one already done; nothing was changed."
    )
    closed_elsewhere: list[ClosedElsewhere] = Field(
        default_factory=list,
        description="The volunteer's open records elsewhere that this check-in checked out, "
        "at its time (a person's service time never overlaps itself).",
    )


class VolunteerRef(Strict):
    """Who: a personal card code, or a mainland mobile number (and, for a walk-in, a name and
    the organizer's attestation of the volunteer's consent)."""

    card: str | None = Field(
        None, min_length=1, max_length=200, description="Code of the volunteer's QR card."
    )
    phone: str | None = Field(
        None, min_length=1, max_length=40, examples=["13812341234"], json_schema_extra=PHONE
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="Needed when the number is new: the volunteer is registered as a walk-in.",
        examples=["李秀英"],
    )
    consent: bool = Field(
        False,
        strict=True,
        description="Needed with name when the number is new: the organizer attests that the "
        "volunteer agrees that the station keeps their name, number and record (as the walk-in "
        "form's checkbox does). Without it a new number is refused (422 consent_required); it "
        "is ignored for a number already registered.",
    )
    pin: str | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="For a number already registered under other names only: the PIN of "
        "that number, typed by the volunteer themself on the organizer's device; with it the "
        "name is added to the number as a new person. Without it (or with a wrong one, which "
        "counts toward the number's lockout) the walk-in is refused (409 number_taken, 401 "
        "desk_pin_wrong) and nobody is named.",
    )

    @model_validator(mode="after")
    def one_way_to_identify(self) -> VolunteerRef:
        """Exactly one of card and phone."""
        if (self.card is None) == (self.phone is None):
            raise ValueError("give either card or phone")
        if self.card is not None and (self.name is not None or self.pin is not None):
            raise ValueError("name and pin go with phone, not with card")
        return self


class HoursOut(CheckInOut):
    """A record's hours as the organizer reviews them."""

    needs_review: bool = Field(
        description="Closed at the end without a check-out, or presence below the minimum: "
        "adjust it before the hours can be confirmed."
    )


class HoursSummary(BaseModel):
    """What stands between the activity and confirmation."""

    open: int = Field(ge=0, description="Records without a check-out yet.")
    needs_review: int = Field(ge=0, description="Records marked for review.")
    pending: int = Field(ge=0, description="Records whose hours are not confirmed yet.")


class HoursPage(Page[HoursOut]):
    """One page of an activity's hours, with the counts of the whole activity."""

    summary: HoursSummary


class HoursAdjustment(Strict):
    """Set one record's hours; the reason goes into the audit log."""

    hours: float = Field(
        strict=True,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Credited hours in steps of 0.5, at most the activity's length.",
        examples=[2.5],
    )
    reason: str = Field(min_length=1, max_length=2000, examples=["帮忙收拾场地，晚走半小时"])


class HoursResult(HoursOut):
    """A record after an adjustment."""

    changed: bool = Field(
        description="False when the record already had exactly these hours (a repeat): "
        "nothing was changed and nothing was logged."
    )


class Confirmation(Strict):
    """No parameters: the body may be left out, or be ``{}``."""


class ConfirmResult(BaseModel):
    """The outcome of a confirmation."""

    activity_id: int
    status: Literal["draft", "published", "finished", "cancelled"]
    confirmed: int = Field(ge=0, description="Records confirmed by this request.")
    already: bool = Field(
        description="True when every record was confirmed before: a harmless repeat."
    )
    message: str = Field(examples=["已确认 3 名志愿者的服务时长。"])


class SelfScan(Strict):
    """A volunteer checks themself in or out with the activity's QR code.

    On a new device: mobile number and PIN (a new number also gives name, consent and
    chooses the PIN). A remembered device sends ``Authorization: Device <key>`` instead.
    """

    token: str = Field(
        min_length=1,
        max_length=500,
        description="What the activity's QR code holds: the token, or the whole check-in URL "
        "(…/c/<token>). Rotating projector codes and static poster codes follow the "
        "activity's settings; a rotating code is accepted for about 2 × its period, "
        "without the page's submit grace.",
        examples=["2sq3TzV9kLm0aB7xYc.Jh3kP0oQ5aVn8c"],
    )
    phone: str | None = Field(
        None, min_length=1, max_length=40, examples=["13812341234"], json_schema_extra=PHONE
    )
    pin: str | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="4–6 digit PIN (or an organizer's 8-digit one-time code). A new number "
        "chooses its PIN here.",
        examples=["2580"],
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="Only for a new number.",
        examples=["刘洋"],
    )
    consent: bool = Field(
        False,
        strict=True,
        description="A new number must agree that the station keeps name, number and record.",
    )
    remember: bool = Field(
        False,
        strict=True,
        description="Return a device key for the volunteer's own phone. Leave false on a "
        "shared kiosk.",
    )
    volunteer_id: int | None = Field(
        None,
        ge=1,
        le=ID_MAX,
        description="On a phone several people share (a parent and children): whom to check "
        "in or out. Without it such a phone gets 409 choose_person, listing them.",
    )


class SelfScanResult(BaseModel):
    """The volunteer's record after a self check-in or check-out."""

    id: int
    activity_id: int
    activity: str
    name: str
    phone: str = Field(description="Masked, e.g. 138****1234.", examples=["138****1234"])
    checked_in_at: datetime
    checked_out_at: datetime | None
    minutes: int = Field(ge=0)
    hours: float = Field(ge=0)
    status: Literal["pending", "confirmed"]
    already: bool = Field(description="True when it had been done before; nothing changed.")
    closed_elsewhere: list[ClosedElsewhere] = Field(
        default_factory=list,
        description="The volunteer's open records elsewhere that this check-in checked out.",
    )
    device_key: str | None = Field(
        description="Only with remember=true on a new device: keep it secret and send it as "
        "'Authorization: Device <key>' next time. The volunteer can sign it out on My page."
    )
    choose_pin: bool = Field(
        description="True when a one-time code was used: the old PIN is gone and the volunteer "
        "should choose a new one on My page (/me/pin)."
    )


class CloseResult(BaseModel):
    """The outcome of closing an activity's open check-ins at its end time."""

    activity_id: int
    closed: int = Field(
        ge=0, description="Records closed by this request (0 h, marked for review); 0 on a repeat."
    )
    message: str = Field(examples=["已关闭 2 条未签退记录，已标记为待复核。"])


class TeamOut(BaseModel):
    """A volunteer team (志愿服务队) of one of the caller's units."""

    id: int
    name: str = Field(examples=["万福社区卫生服务中心医护志愿服务队"])
    unit_id: int = Field(description="The station or centre the team belongs to.")
    unit: str
    kind: Literal["1", "2", "3"] = Field(
        description="National team kind: 1 志愿服务团体, 2 志愿服务组织, 3 其他法人组织."
    )
    host_type: str = Field(
        description="National code of the host unit's type (01 党政机关 … 99 其他).",
        examples=["03"],
    )
    host_name: str = Field(examples=["万福社区卫生服务中心"])
    categories: list[str] = Field(description="Service category codes.", examples=[["health"]])
    contact_name: str
    contact_phone: str = Field(description="Masked, e.g. 138****1234.", examples=["138****1234"])
    intro: str
    join_mode: Literal["1", "2", "3", "4"] = Field(
        description="1 approval needed, 2 open, 3 closed, 4 join code."
    )
    active: bool = Field(description="False once an organizer disabled the team.")
    members: int = Field(ge=0, description="Active members.")


class TeamMemberOut(BaseModel):
    """An active member of a team, with the hours they served for it."""

    volunteer_id: int
    name: str
    phone: str = Field(description="Masked, e.g. 138****1234.", examples=["138****1234"])
    is_leader: bool = Field(description="A leader (队长) runs check-in for the team.")
    joined_at: datetime = Field(description="When the membership became active.")
    confirmed_minutes: int = Field(
        ge=0,
        description="Confirmed minutes at the activities this team ran (voided records aside).",
    )
    confirmed_hours: float = Field(ge=0)


class TeamPage(Page[TeamOut]):
    """One page of teams."""


class TeamMemberPage(Page[TeamMemberOut]):
    """One page of a team's active members."""


NeedStatusCode = Literal[
    "submitted",
    "rejected",
    "accepted",
    "escalated",
    "dispatched",
    "taken",
    "in_service",
    "completed",
    "rated",
    "withdrawn",
]


class NeedEventOut(BaseModel):
    """One step of an order's log."""

    action: str = Field(examples=["dispatch"])
    from_status: NeedStatusCode | None
    to_status: NeedStatusCode
    at: datetime
    note: str


class NeedOut(BaseModel):
    """A resident's order (点单) of one of the caller's units."""

    id: int
    title: str = Field(examples=["上门为独居老人测血压"])
    status: NeedStatusCode
    station_id: int = Field(description="The station the resident ordered from.")
    station: str
    unit_id: int = Field(description="The unit holding the order now (after 上报, one above).")
    category: str = Field(examples=["health"])
    created_at: datetime
    changed_at: datetime
    due_at: datetime | None = Field(description="When the current wait is due, if one is.")
    overdue: bool
    handled_here: bool = Field(
        description="Whether the caller manages the unit holding it (and may take its steps)."
    )
    proxy: bool = Field(description="Placed on the resident's behalf (代点单).")
    contact_name: str
    contact_phone: str = Field(
        description="In full for the organizers of the unit holding it; masked otherwise."
    )
    address: str = Field(description="Only for the organizers of the unit holding it.")
    team_id: int | None
    activity_id: int | None


class NeedDetailOut(NeedOut):
    """An order with its log, oldest step first."""

    log: list[NeedEventOut]


class NeedPage(Page[NeedOut]):
    """One page of orders."""


class NeedStep(Strict):
    """A step on an order by the caller, as an organizer of the unit holding it."""

    step: Literal["accept", "reject", "escalate", "dispatch", "take", "decline", "complete"]
    note: str = Field(
        default="",
        max_length=200,
        description="Required to reject, decline and complete; the resident sees a "
        "rejection's reason and a completion's note.",
    )
    team_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="dispatch: one of the caller's teams."
    )
    hours: int | None = Field(
        default=None, ge=1, le=24 * 14, description="dispatch: hours the team has to take it."
    )
