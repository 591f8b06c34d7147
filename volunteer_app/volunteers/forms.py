"""Volunteer and organizer forms of the volunteers area: shape checks only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from volunteer_app.forms import LocalDateField
from volunteer_app.params import ID_MAX

_PIN_KW = {"inputmode": "numeric", "maxlength": 8, "autocomplete": "current-password"}


class SignInForm(FlaskForm):
    """Sign in on a new device with the mobile number and PIN (or a one-time code)."""

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter your mobile number.")), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )
    pin = PasswordField(
        _l("PIN or one-time code"),
        validators=[DataRequired(_l("Please enter your PIN.")), Length(max=20)],
        render_kw=_PIN_KW,
    )


class SmsCodeForm(FlaskForm):
    """Ask for a one-time code by SMS to a number registered by others (no PIN yet)."""

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter your mobile number.")), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )


class PinForm(FlaskForm):
    """Choose or change the PIN."""

    current_pin = PasswordField(
        _l("Current PIN"), validators=[Optional(), Length(max=20)], render_kw=_PIN_KW
    )
    new_pin = PasswordField(
        _l("New PIN (4–6 digits)"),
        validators=[DataRequired(_l("Please choose a PIN.")), Length(max=20)],
        render_kw={**_PIN_KW, "autocomplete": "new-password", "maxlength": 6},
    )
    confirm = PasswordField(
        _l("New PIN again"),
        validators=[DataRequired(_l("Please enter the PIN a second time.")), Length(max=20)],
        render_kw={**_PIN_KW, "autocomplete": "new-password", "maxlength": 6},
    )


class CertificateForm(FlaskForm):
    """The period a certificate covers (local dates)."""

    # InputRequired, not DataRequired: the latter would replace the field's own message for
    # a date it could not take (outside the years) by "please choose".
    start = LocalDateField(
        _l("From"), validators=[InputRequired(_l("Please choose a start date."))]
    )
    end = LocalDateField(_l("To"), validators=[InputRequired(_l("Please choose an end date."))])


class FindVolunteerForm(FlaskForm):
    """An organizer looks up the volunteer standing in front of them by full number."""

    phone = StringField(
        _l("Volunteer's mobile number"),
        validators=[DataRequired(_l("Please enter the mobile number.")), Length(max=40)],
        render_kw={"inputmode": "tel", "maxlength": 20, "autocomplete": "off"},
    )


DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class RegisterForm(FlaskForm):
    """Register without a check-in (e.g. to sign up for an activity first)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=200)],
        render_kw={"autocomplete": "name", "maxlength": 50},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter your mobile number.")), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )
    pin = PasswordField(
        _l("PIN (4–6 digits)"),
        validators=[DataRequired(_l("Please choose a PIN.")), Length(max=20)],
        render_kw={**_PIN_KW, "autocomplete": "new-password"},
    )
    consent = BooleanField(
        _l("I agree that this station keeps my name, phone number and service record.")
    )


class DeleteAccountForm(FlaskForm):
    """Confirm deleting the account (the PIN again, when there is one)."""

    pin = PasswordField(_l("PIN"), validators=[Optional(), Length(max=20)], render_kw=_PIN_KW)
    confirm = BooleanField(
        _l("I understand that my name, phone number and devices will be erased for good.")
    )


class StarPresetForm(FlaskForm):
    """The district admin picks the star thresholds in force."""

    preset = RadioField(_l("Star thresholds"), validators=[DataRequired()])


class MemberForm(FlaskForm):
    """Add a person (a child, a partner) to the phone: name, and consent for them."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=200)],
        render_kw={"maxlength": 50, "autocomplete": "off"},
    )
    minor = BooleanField(_l("Under 14 (I am their parent or guardian and agree for them)"))
    consent = BooleanField(
        _l("I agree that this station keeps their name, this phone number and their record."),
        validators=[DataRequired(_l("Please agree to their service record being kept."))],
    )


class RosterFilterForm(FlaskForm):
    """Search and filters of the organizer's volunteer roster (a GET form: nothing changes).

    The station and star choices are set by the view (the organizer's units, the stars).
    """

    class Meta:
        csrf = False

    q = StringField(
        _l("Name, mobile number or its last 4 digits"),
        validators=[Optional(), Length(max=50)],
        render_kw={"autocomplete": "off", "enterkeyhint": "search", "maxlength": 50},
    )
    unit = SelectField(_l("Station"), validators=[Optional()], default="")
    stars = SelectField(_l("Star level"), validators=[Optional()], default="")
    active = BooleanField(_l("Active this year"))


class VolunteerEditForm(FlaskForm):
    """An organizer corrects a volunteer's name or mobile number, with a reason."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=200)],
        render_kw={"maxlength": 50, "autocomplete": "off"},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter the mobile number.")), Length(max=40)],
        render_kw={"inputmode": "tel", "maxlength": 20, "autocomplete": "off"},
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason for the change.")), Length(max=500)],
        render_kw={"maxlength": 500},
    )


class MergeForm(FlaskForm):
    """Merge another record of the same person into this one."""

    other = IntegerField(
        _l("Number of the other record"),
        validators=[
            DataRequired(_l("Please enter the number of the other record.")),
            NumberRange(
                min=1, max=ID_MAX, message=_l("Please enter the number of the other record.")
            ),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason for the change.")), Length(max=500)],
        render_kw={"maxlength": 500},
    )
    confirm = BooleanField(
        _l("I checked that both records are the same person."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
