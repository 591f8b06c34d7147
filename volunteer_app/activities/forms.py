"""Activity form: shape checks only; business checks live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

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
