"""Login and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from volunteer_app.forms import coerce_id


class LoginForm(FlaskForm):
    """Organizer sign-in."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Please enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class AccountForm(FlaskForm):
    """Create an organizer account for a centre or a station."""

    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Please enter a username.")),
            Length(min=3, max=64, message=_l("The username must have 3 to 64 characters.")),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message=_l("Use letters, digits, dots, dashes and underscores only."),
            ),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(_l("Please enter a password.")),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    unit_id = SelectField(
        _l("Centre or station"),
        coerce=coerce_id,
        validators=[DataRequired(_l("Please choose a centre or station."))],
    )
    submit = SubmitField(_l("Create account"))


class PasswordResetForm(FlaskForm):
    """A new initial password for an account of the level below."""

    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Please enter a password.")),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class ActiveForm(FlaskForm):
    """Disable or enable an account (the button pressed gives the value)."""

    active = StringField(validators=[DataRequired(), AnyOf(["0", "1"])])


class OwnPasswordForm(FlaskForm):
    """An organizer's own new password; the current one proves it is them."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Please enter a password.")),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Please enter the new password once more.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


#: The largest id a database integer holds: past it a lookup would overflow, not miss.
MAX_ID = 2**31 - 1


def _days_field() -> IntegerField:
    return IntegerField(
        _l("Valid for (days)"),
        default=7,
        validators=[
            DataRequired(_l("An invite can be valid for 1 to 30 days.")),
            NumberRange(min=1, max=30, message=_l("An invite can be valid for 1 to 30 days.")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class InviteForm(FlaskForm):
    """An invite link for one unit; the unit's level gives the new account's role."""

    #: Not checked against the choices: the view looks the unit up in the organizer's
    #: scope, so another centre's unit is "not found" like anything out of scope.
    unit_id = SelectField(
        _l("Unit"),
        coerce=int,
        validate_choice=False,
        validators=[
            DataRequired(_l("Please choose a centre or station.")),
            NumberRange(1, MAX_ID, message=_l("Please choose a centre or station.")),
        ],
    )
    display_name = StringField(
        _l("Name (optional)"),
        validators=[Optional(), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    note = StringField(
        _l("Note for yourself (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    days = _days_field()
    submit = SubmitField(_l("Create invite link"))


class StationInvitesForm(FlaskForm):
    """Invite links for every station of a centre that has no organizer yet."""

    centre_id = SelectField(
        _l("Practice centre"),
        coerce=int,
        validate_choice=False,
        validators=[
            DataRequired(_l("Please choose a practice centre.")),
            NumberRange(1, MAX_ID, message=_l("Please choose a practice centre.")),
        ],
    )
    days = _days_field()
    submit = SubmitField(_l("Create links for its stations"))


class AcceptInviteForm(FlaskForm):
    """The invitee names their account and chooses their own password (the same username
    rules as AccountForm)."""

    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=100)],
        render_kw={"autocomplete": "name"},
    )
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Please enter a username.")),
            Length(min=3, max=64, message=_l("The username must have 3 to 64 characters.")),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message=_l("Use letters, digits, dots, dashes and underscores only."),
            ),
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Please enter a password.")),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(_l("Please enter the password once more.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create my account"))


class PlainForm(FlaskForm):
    """A CSRF-protected button (revoke an invite, download the links)."""
