"""Unit forms: shape checks only; the tree's rules live in ``stations.rules``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from volunteer_app.stations.models import ADDRESS_MAX, CONTACT_MAX, INTRO_MAX, NAME_MAX, PHONE_MAX


def _too_long(limit: int):
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


class UnitDetailsForm(FlaskForm):
    """A unit's name and details (the edit page)."""

    name = StringField(
        _l("Unit name"),
        validators=[DataRequired(_l("Please enter the name of the unit.")), _too_long(NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    address = StringField(_l("Address"), validators=[Optional(), _too_long(ADDRESS_MAX)])
    contact_name = StringField(
        _l("Contact person"),
        validators=[Optional(), _too_long(CONTACT_MAX)],
        render_kw={"autocomplete": "off"},
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Optional(), _too_long(PHONE_MAX)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    intro = TextAreaField(
        _l("Introduction"), validators=[Optional(), _too_long(INTRO_MAX)], render_kw={"rows": 4}
    )
    submit = SubmitField(_l("Save"))

    def details(self) -> dict:
        """The validated fields as the unit services take them."""
        return {
            "name": self.name.data or "",
            "address": self.address.data or "",
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "intro": self.intro.data or "",
        }


class NewUnitForm(UnitDetailsForm):
    """A new unit under the page's unit."""

    level = SelectField(_l("Level"), validators=[DataRequired(_l("Please choose the level."))])
    submit = SubmitField(_l("Add unit"))


class MoveForm(FlaskForm):
    """Move a station under another centre."""

    parent_id = SelectField(
        _l("New place in the tree"),
        coerce=int,
        validators=[DataRequired(_l("Please choose a centre."))],
    )
    submit = SubmitField(_l("Move"))
