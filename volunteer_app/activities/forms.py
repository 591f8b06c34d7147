"""Activity forms: shape checks only; business checks live in rules and services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..i18n import local_to_utc
from .models import ActivityStatus

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
#: Activities are dated within these years; anything else is a typo (and year 1 or 9999
#: would not even survive the conversion to UTC).
YEARS = (2000, 2100)


def plausible_year(form, field) -> None:
    """Refuse dates outside YEARS with a clear message."""
    if field.data is not None and not YEARS[0] <= field.data.year <= YEARS[1]:
        raise ValidationError(_l("Please enter a date between 2000 and 2100."))


class ActivityForm(FlaskForm):
    """Create an activity; times are entered in Asia/Shanghai wall-clock time."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=100)],
    )
    category_id = SelectField(
        _l("Category"), coerce=int, validators=[DataRequired(_l("Please choose a category."))]
    )
    unit_id = SelectField(
        _l("Station"), coerce=int, validators=[DataRequired(_l("Please choose a station."))]
    )
    place = StringField(
        _l("Place"), validators=[DataRequired(_l("Please enter the place.")), Length(max=200)]
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMAT,
        validators=[DataRequired(_l("Please enter the start time.")), plausible_year],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format=DATETIME_FORMAT,
        validators=[DataRequired(_l("Please enter the end time.")), plausible_year],
    )
    capacity = IntegerField(
        _l("Volunteers needed"),
        validators=[
            Optional(),
            NumberRange(min=1, max=10000, message=_l("Enter a number from 1 to 10000.")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Create activity"))

    def activity_fields(self) -> dict:
        """The validated fields as the activity services take them (times in UTC)."""
        return {
            "title": self.title.data,
            "category_id": self.category_id.data,
            "unit_id": self.unit_id.data,
            "place": self.place.data,
            "starts_at": local_to_utc(self.starts_at.data),
            "ends_at": local_to_utc(self.ends_at.data),
            "capacity": self.capacity.data,
            "description": self.description.data or "",
        }


class ActivityEditForm(ActivityForm):
    """Edit an activity, including its projector settings."""

    rotate_seconds = IntegerField(
        _l("Projector code changes every (seconds)"),
        default=30,
        validators=[
            DataRequired(_l("Enter a number from 10 to 600.")),
            NumberRange(min=10, max=600, message=_l("Enter a number from 10 to 600.")),
        ],
    )
    allow_static_code = BooleanField(
        _l("Accept the printed poster's code (turn off to accept only the projector's code)"),
        default=True,
    )
    submit = SubmitField(_l("Save changes"))


class StatusForm(FlaskForm):
    """Move an activity to another status (the target comes from the button pressed)."""

    target = HiddenField(validators=[DataRequired(), AnyOf([s.value for s in ActivityStatus])])


class DuplicateForm(FlaskForm):
    """Copy an activity to a new date and time (Beijing time)."""

    starts_at = DateTimeLocalField(
        _l("New start"),
        format=DATETIME_FORMAT,
        validators=[DataRequired(_l("Please enter the start time.")), plausible_year],
    )
    submit = SubmitField(_l("Duplicate as a draft"))


class AdjustHoursForm(FlaskForm):
    """Set one volunteer's hours, with the reason kept in the audit log."""

    hours = DecimalField(
        _l("Hours"),
        places=1,
        validators=[
            InputRequired(_l("Please enter the hours.")),
            NumberRange(
                min=0, max=168, message=_l("Enter the hours in steps of 0.5, e.g. 2 or 2.5.")
            ),
        ],
        render_kw={"inputmode": "decimal", "step": "0.5"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason for the change.")), Length(max=500)],
    )
    submit = SubmitField(_l("Save hours"))


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (close check-ins, confirm hours, keep)."""


class VolunteerSearchForm(FlaskForm):
    """Find volunteers by name or phone (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or mobile number"),
        validators=[Optional(), Length(max=50)],
        render_kw={"autocomplete": "off", "enterkeyhint": "search"},
    )


class GroupCheckForm(FlaskForm):
    """Check the ticked volunteers in or out (the button pressed gives the action)."""

    volunteer_ids = SelectMultipleField(
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(_l("Please tick at least one volunteer."))],
    )
    action = StringField(validators=[DataRequired(), AnyOf(["check_in", "check_out"])])
    #: Only for a tick queued offline (one volunteer per record): when the organizer
    #: ticked the volunteer (ISO 8601, UTC). The page's script sets it.
    ticked_at = HiddenField(validators=[Optional(), Length(max=40)])


class WalkInForm(FlaskForm):
    """Register a volunteer without a smartphone, on the spot."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=200)],
        render_kw={"autocomplete": "off", "maxlength": 50},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter the mobile number.")), Length(max=40)],
        render_kw={"autocomplete": "off", "inputmode": "tel", "maxlength": 20},
    )
    consent = BooleanField(
        _l("The volunteer agrees that this station keeps their name, phone number and record."),
        validators=[DataRequired(_l("Please confirm the volunteer's consent."))],
    )
    check_in_now = BooleanField(_l("Check in now"), default=True)
    submit = SubmitField(_l("Register walk-in"))


class CardCodeForm(FlaskForm):
    """A volunteer card code, read by the camera or typed in."""

    code = StringField(
        _l("Card code"),
        validators=[
            DataRequired(_l("Please scan or enter a volunteer card code.")),
            Length(max=300),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    #: Only for scans queued offline: what the phone decided (check_in / check_out) and
    #: when it read the card (ISO 8601, UTC). The page's script sets them.
    action = HiddenField(
        validators=[Optional(), AnyOf(["check_in", "check_out"], _l("Unknown scan action."))]
    )
    scanned_at = HiddenField(validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Check in / out"))
