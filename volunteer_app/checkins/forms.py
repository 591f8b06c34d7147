"""Check-in forms: the scan page, the organizer's desk, scanner and hours, corrections."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    PasswordField,
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
)

from volunteer_app.checkins.rules import Action
from volunteer_app.forms import LocalDateTimeField, coerce_id


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
    #: Registering a child under 14: the consent above is then their guardian's (PIPL).
    minor = BooleanField(_l("Under 14 (I am their parent or guardian and agree for them)"))
    #: On a phone several people share: the ticked ones (ids of the household's people).
    people = SelectMultipleField(coerce=coerce_id, validate_choice=False)
    #: The signed moment the page of a rotating code was opened (checkins/tokens.py): the
    #: submit grace applies only with it.
    opened = HiddenField(validators=[Optional(), Length(max=100)])
    #: "1" once the volunteer confirmed a check-out that credits less than the first hours
    #: step (``rules.is_early_check_out``).
    confirmed = HiddenField(validators=[Optional(), AnyOf(["", "1"])])


class VoidRecordForm(FlaskForm):
    """Void a junk or test record, with the reason shown beside it and kept in the log."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Please give a reason for voiding this record.")),
            Length(max=500),
        ],
    )
    submit = SubmitField(_l("Void this record"))


class VoidRegistrationForm(FlaskForm):
    """Void a registration made by mistake: the person erased, their records voided."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Please give a reason for voiding this record.")),
            Length(max=500),
        ],
    )
    confirm = BooleanField(
        _l("I understand: the person's name and number are erased, their records voided."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Void this registration"))


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


class VolunteerSearchForm(FlaskForm):
    """Find volunteers by name or phone: posted, so that a number never stands in a URL
    (nor in an access log)."""

    q = StringField(
        _l("Name or mobile number"),
        validators=[Optional(), Length(max=50)],
        render_kw={"autocomplete": "off", "enterkeyhint": "search"},
    )


class GroupCheckForm(FlaskForm):
    """Check the ticked volunteers in or out (the button pressed gives the action)."""

    volunteer_ids = SelectMultipleField(
        coerce=coerce_id,
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
    #: Typed by the volunteer themself, only when the number is already registered.
    pin = PasswordField(
        _l("The volunteer's own PIN"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"},
    )
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
    #: "1" once the organizer confirmed a check-out that credits less than the first hours
    #: step (``rules.is_early_check_out``).
    confirmed = HiddenField(validators=[Optional(), AnyOf(["", "1"])])
    submit = SubmitField(_l("Check in / out"))


class CorrectionRequestForm(FlaskForm):
    """The volunteer says what is wrong with a record (times in local wall-clock time)."""

    proposed_in = LocalDateTimeField(_l("Actual check-in time"), validators=[Optional()])
    proposed_out = LocalDateTimeField(_l("Actual check-out time"), validators=[Optional()])
    reason = TextAreaField(
        _l("What is wrong, and why"),
        validators=[DataRequired(_l("Please give a reason.")), Length(max=500)],
        render_kw={"maxlength": 500, "rows": 4},
    )


class CorrectionDecisionForm(FlaskForm):
    """The organizer accepts with the right times, or declines with a reason."""

    checked_in_at = LocalDateTimeField(_l("Check-in time"), validators=[Optional()])
    checked_out_at = LocalDateTimeField(_l("Check-out time"), validators=[Optional()])
    reason = TextAreaField(
        _l("Answer to the volunteer"),
        validators=[Optional(), Length(max=500)],
        render_kw={"maxlength": 500, "rows": 3},
    )
    decision = HiddenField(validators=[AnyOf(["accept", "decline"])])
