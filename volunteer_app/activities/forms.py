"""Activity forms: shape checks only; business checks live in rules and services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
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
)

from volunteer_app.activities.models import ActivityStatus
from volunteer_app.forms import LocalDateTimeField, coerce_id


def coerce_optional_id(value) -> int | None:
    """A select box's id, or None for its empty "no team" choice."""
    if value in (None, "", "None"):
        return None
    return coerce_id(value)


class ActivityForm(FlaskForm):
    """Create an activity; times are entered in Asia/Shanghai wall-clock time."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=100)],
    )
    category_id = SelectField(
        _l("Category"), coerce=coerce_id, validators=[DataRequired(_l("Please choose a category."))]
    )
    unit_id = SelectField(
        _l("Station"), coerce=coerce_id, validators=[DataRequired(_l("Please choose a station."))]
    )
    place = StringField(
        _l("Place"), validators=[DataRequired(_l("Please enter the place.")), Length(max=200)]
    )
    starts_at = LocalDateTimeField(
        _l("Starts"),
        validators=[InputRequired(_l("Please enter the start time."))],
    )
    ends_at = LocalDateTimeField(
        _l("Ends"),
        validators=[InputRequired(_l("Please enter the end time."))],
    )
    capacity = IntegerField(
        _l("Volunteers needed"),
        validators=[
            Optional(),
            NumberRange(min=1, max=10000, message=_l("Enter a number from 1 to 10000.")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    #: Which teams fit the activity's unit is the service's check (a forged id included),
    #: so the choices are offered but not enforced here.
    team_id = SelectField(
        _l("Team in charge"), coerce=coerce_optional_id, validate_choice=False, default=None
    )
    members_only = BooleanField(_l("Sign-ups for the team's members only"), default=False)
    submit = SubmitField(_l("Create activity"))

    def activity_fields(self) -> dict:
        """The validated fields as the activity services take them (times in UTC)."""
        return {
            "title": self.title.data,
            "category_id": self.category_id.data,
            "unit_id": self.unit_id.data,
            "place": self.place.data,
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "capacity": self.capacity.data,
            "description": self.description.data or "",
            "team_id": self.team_id.data,
            "members_only": bool(self.members_only.data),
        }


class NewActivityForm(ActivityForm):
    """A new activity: published at once (volunteers see it), or kept as a draft to finish."""

    submit = SubmitField(_l("Publish now"))
    save_draft = SubmitField(_l("Save as draft"))

    def status(self) -> ActivityStatus:
        """The status the pressed button asks for: a draft only with "Save as draft"."""
        return ActivityStatus.DRAFT if self.save_draft.data else ActivityStatus.PUBLISHED


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

    starts_at = LocalDateTimeField(
        _l("New start"),
        validators=[InputRequired(_l("Please enter the start time."))],
    )
    submit = SubmitField(_l("Duplicate as a draft"))
