"""The resident's forms: ordering a service, rating it, and the tracking page's buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from volunteer_app.forms import LocalDateField
from volunteer_app.needs.models import DayPart

#: Lengths generous enough for a rule to give the message (the rules check the real ones).
_LOOSE = 400

DAY_PARTS = [
    ("", _l("Any time of day")),
    (DayPart.MORNING.value, _l("Morning")),
    (DayPart.AFTERNOON.value, _l("Afternoon")),
    (DayPart.EVENING.value, _l("Evening")),
]


class OrderForm(FlaskForm):
    """Order a service from a station (点单); the rules check the contents."""

    station = SelectField(_l("Station"), coerce=int, validate_choice=False)
    #: The menu item ordered (服务菜单), by id; empty for a request of the resident's own.
    item = HiddenField()
    category = SelectField(_l("Kind of service"), coerce=int, validate_choice=False)
    title = StringField(
        _l("What do you need?"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 30, "placeholder": _l("e.g. a blood-pressure check at home")},
    )
    description = TextAreaField(
        _l("Details"), validators=[Length(max=_LOOSE)], render_kw={"maxlength": 200, "rows": 3}
    )
    address = StringField(
        _l("Service address"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 200, "autocomplete": "street-address"},
    )
    wanted_date = LocalDateField(_l("Date you would like"), validators=[Optional()])
    wanted_part = SelectField(_l("Time of day"))
    expected_minutes = IntegerField(
        _l("Expected length (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=24 * 60)],
        render_kw={"inputmode": "numeric", "min": 1, "max": 1440},
    )
    notes = TextAreaField(
        _l("Notes"), validators=[Length(max=_LOOSE)], render_kw={"maxlength": 200, "rows": 2}
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 50, "autocomplete": "name"},
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Length(max=40)],
        render_kw={"maxlength": 20, "autocomplete": "tel", "inputmode": "tel"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wanted_part.choices = DAY_PARTS


class ProxyOrderForm(OrderForm):
    """代点单: an organizer orders for a resident without a smartphone."""

    proxy_note = StringField(
        _l("Ordered by (who, for whom)"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 50, "placeholder": _l("e.g. 网格员王芳, for her neighbour")},
    )


class RateForm(FlaskForm):
    """The resident's rating of a completed order (评单)."""

    quality = RadioField(
        _l("Quality of the service"),
        coerce=int,
        validators=[InputRequired(_l("Please give 1 to 5 stars for quality and for attitude."))],
    )
    attitude = RadioField(
        _l("Attitude of the volunteers"),
        coerce=int,
        validators=[InputRequired(_l("Please give 1 to 5 stars for quality and for attitude."))],
    )
    comment = TextAreaField(
        _l("Comment"), validators=[Length(max=_LOOSE)], render_kw={"maxlength": 200, "rows": 2}
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stars = [(n, str(n)) for n in range(5, 0, -1)]
        self.quality.choices = stars
        self.attitude.choices = stars


class StepForm(FlaskForm):
    """One step on an order by an organizer: its button, and a note or reason."""

    note = TextAreaField(
        _l("Note or reason"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 200, "rows": 2},
    )


class DispatchForm(FlaskForm):
    """派单: the team, and the hours it has to take the order."""

    team = SelectField(_l("Team"), coerce=int, validate_choice=False)
    hours = IntegerField(
        _l("Hours to take it"),
        validators=[InputRequired(), NumberRange(min=1, max=24 * 14)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    note = TextAreaField(
        _l("Note for the team"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 200, "rows": 2},
    )


class DeadlinesForm(FlaskForm):
    """A centre's or the district's deadlines for its orders, in whole hours; the rule
    (``rules.validate_policy``) checks them, so its messages stand beside the fields."""

    respond_hours = StringField(
        _l("Hours to review a new order"),
        validators=[Length(max=_LOOSE)],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )
    dispatch_hours = StringField(
        _l("Hours to dispatch an accepted order"),
        validators=[Length(max=_LOOSE)],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )
    take_hours = StringField(
        _l("Hours a team has to take an order"),
        validators=[Length(max=_LOOSE)],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )


class MenuItemForm(FlaskForm):
    """An item of the service menu (服务菜单): what a team offers, to whom, how many times."""

    unit = SelectField(_l("Menu of"), coerce=int, validate_choice=False)
    title = StringField(
        _l("Service"),
        validators=[Length(max=_LOOSE)],
        render_kw={"maxlength": 30, "placeholder": _l("e.g. a blood-pressure check at home")},
    )
    category = SelectField(_l("Kind of service"), coerce=int, validate_choice=False)
    audience = SelectField(_l("Who it serves"), validate_choice=False)
    team = SelectField(_l("Provided by"), coerce=int, validate_choice=False)
    description = TextAreaField(
        _l("Details"), validators=[Length(max=_LOOSE)], render_kw={"maxlength": 200, "rows": 3}
    )
    remaining = IntegerField(
        _l("Times it can still be booked"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "min": 0, "max": 9999},
    )
