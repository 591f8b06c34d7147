"""Form pieces shared by the areas: local date and date-time fields within the accepted
years, ids from select boxes, and the button-only form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField

from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.params import parse_id, year_in_range

#: What an ``<input type="datetime-local">`` sends.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
#: The message for a date outside YEARS (params.py: a typo, or beyond the time zones); it
#: names the years of YEARS.
OUT_OF_YEARS = _l("Please enter a date between 2000 and 2100.")


def coerce_id(value) -> int:
    """A select box's id (``coerce=`` of SelectField): within the database's range, ASCII
    digits; anything else is the field's "invalid choice" error rather than a query."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    number = parse_id(value) if isinstance(value, str) else None
    if number is None:
        raise ValueError("not an id")
    return number


class LocalDateTimeField(DateTimeLocalField):
    """A date and time entered and shown in the local zone; ``data`` is aware UTC.

    The one place where a form's wall-clock value becomes an instant: views and services
    only ever see aware UTC datetimes. Values outside YEARS are refused with a message.
    """

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        kwargs.setdefault("format", DATETIME_FORMAT)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the local wall-clock value and convert it to aware UTC."""
        super().process_formdata(valuelist)
        if self.data is None:
            return
        if not year_in_range(self.data.year):
            self.data = None
            raise ValueError(OUT_OF_YEARS)
        self.data = local_to_utc(self.data)

    def _value(self) -> str:
        """The local wall-clock value the input shows."""
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            if self.data.tzinfo is None:
                raise ValueError("naive datetime given to a LocalDateTimeField; use aware UTC")
            return utc_to_local(self.data).strftime(DATETIME_FORMAT)
        return ""


class LocalDateField(DateField):
    """A calendar date (``<input type="date">``); dates outside YEARS are refused."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the date and refuse one outside YEARS."""
        super().process_formdata(valuelist)
        if self.data is not None and not year_in_range(self.data.year):
            self.data = None
            raise ValueError(OUT_OF_YEARS)


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (close check-ins, confirm hours, keep)."""


def show_errors(form: FlaskForm, errors: Iterable, field_of: Mapping[str, str]) -> None:
    """Put each refused rule's message beside its field, where the field macro ties it to
    the field with ``aria-describedby``.

    ``errors`` is a {field name: error} mapping (problems of fields the form does not have
    are not its concern) or a sequence of errors, placed by ``field_of`` (error code → field
    name) and above the form when the form has no such field. A field that has a message
    already (its own validator's) keeps just that one.
    """
    if isinstance(errors, Mapping):
        pairs = [(name, e) for name, e in errors.items() if name in form._fields]
    else:
        pairs = [(field_of.get(e.code), e) for e in errors]
    for field_name, error in pairs:
        field = form._fields.get(field_name) if field_name else None
        if field is None:
            form.form_errors.append(error.message)
        elif not field.errors:
            field.errors = [error.message]
