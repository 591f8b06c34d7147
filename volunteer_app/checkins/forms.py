"""The volunteer's check-in form (one tap when the device is remembered)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from .rules import Action


class ScanForm(FlaskForm):
    """Check in or out. Name, phone and consent are asked only of an unknown device.

    ``action`` is what the button said when the page was shown, so a double tap on
    签到 is "already checked in", never a check-out.
    """

    action = HiddenField(
        validators=[DataRequired(), AnyOf([Action.CHECK_IN.value, Action.CHECK_OUT.value])]
    )
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "name", "maxlength": 50},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )
    pin = PasswordField(
        _l("PIN (4–6 digits)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "current-password", "inputmode": "numeric", "maxlength": 8},
    )
    consent = BooleanField(
        _l("I agree that this station keeps my name, phone number and service record.")
    )
