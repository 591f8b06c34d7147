"""Team forms: shape checks only; the team's rules (teams/rules.py) give every problem of
its fields at once, and the services check names, units and categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from volunteer_app.forms import coerce_id
from volunteer_app.teams.labels import HOST_TYPE_LABELS, JOIN_MODE_LABELS, KIND_LABELS
from volunteer_app.teams.models import HostType, JoinMode, TeamKind
from volunteer_app.teams.rules import compute_team_problems

#: The longest text a field takes before the rules say it is too long (a form that can
#: carry any length would let a 5 MB name reach the rules).
_TEXT_MAX = 2000


class TeamForm(FlaskForm):
    """A team's fields; the unit is chosen only when the team is created."""

    name = StringField(_l("Team name"), validators=[Length(max=_TEXT_MAX)])
    kind = SelectField(_l("Kind of team"), default=TeamKind.GROUP.value)
    host_type = SelectField(_l("Type of the host unit"), default=HostType.OTHER.value)
    host_name = StringField(_l("Host unit"), validators=[Length(max=_TEXT_MAX)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=_TEXT_MAX)])
    contact_phone = StringField(
        _l("Contact number"),
        validators=[Length(max=_TEXT_MAX)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    categories = SelectMultipleField(
        _l("Service categories (at most four)"),
        coerce=coerce_id,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    intro = TextAreaField(_l("Introduction"), validators=[Length(max=_TEXT_MAX)])
    join_mode = SelectField(_l("How volunteers join"), default=JoinMode.APPROVAL.value)
    join_code = StringField(
        _l("Join code"),
        validators=[Length(max=_TEXT_MAX)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Save changes"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KIND_LABELS.items())
        self.host_type.choices = list(HOST_TYPE_LABELS.items())
        self.join_mode.choices = list(JOIN_MODE_LABELS.items())

    def team_fields(self) -> dict:
        """The fields as ``teams.services`` takes them."""
        return {
            name: getattr(self, name).data or ""
            for name in (
                "name",
                "kind",
                "host_type",
                "host_name",
                "contact_name",
                "contact_phone",
                "intro",
                "join_mode",
                "join_code",
            )
        }

    def rule_problems(self) -> dict:
        """The rules' problems with the fields as typed (``rules.compute_team_problems``), to
        show with the form's own errors when the form itself did not validate."""
        return compute_team_problems(
            **{
                name: getattr(self, name).data or ""
                for name in (
                    "name",
                    "host_name",
                    "contact_name",
                    "contact_phone",
                    "intro",
                    "join_mode",
                    "join_code",
                )
            },
            category_count=len(set(self.categories.raw_data or [])),
        )

    def show_problems(self, problems: dict) -> None:
        """Put each of the rules' problems beside its field (the form's own list else)."""
        for name, error in problems.items():
            field = getattr(self, name, None)
            if field is None:
                self.form_errors.append(error.message)
            elif error.message not in field.errors:
                field.errors = [*field.errors, error.message]


class NewTeamForm(TeamForm):
    """A new team of one of the organizer's units."""

    unit_id = SelectField(
        _l("Unit"), coerce=coerce_id, validators=[DataRequired(_l("Please choose a unit."))]
    )
    submit = SubmitField(_l("Create team"))


class AddMemberForm(FlaskForm):
    """Find one of the organizer's own volunteers (posted, so a number never stands in a
    URL), add the one chosen, or add the person whose card code is given."""

    q = StringField(
        _l("Name or mobile number"),
        validators=[Optional(), Length(max=50)],
        render_kw={"autocomplete": "off", "enterkeyhint": "search"},
    )
    #: The chosen volunteer's id, read with ``params.parse_id`` (anything else is nobody).
    volunteer_id = HiddenField()
    card = StringField(
        _l("Or the code of their volunteer card"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"},
    )


class RenewKeyForm(FlaskForm):
    """Renew the join link and card, once the organizer ticked that they understand."""

    confirm = BooleanField(
        _l("I understand: the old join link and printed cards stop working."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
