"""The forms of a team leader's member page (teams/lead.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class AddByCardForm(FlaskForm):
    """The card code of the person standing in front of the leader, scanned or typed."""

    code = StringField(
        _l("Card code"),
        validators=[
            DataRequired(_l("Please scan or enter a volunteer card code.")),
            Length(max=300),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Add to the team"))
