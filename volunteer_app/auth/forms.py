"""Login and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

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
