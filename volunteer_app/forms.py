"""Form pieces shared by the areas: local date-time fields and the button-only form."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField

from volunteer_app.localtime import local_to_utc, utc_to_local

#: What an ``<input type="datetime-local">`` sends.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
#: Activities and records are dated within these years; anything else is a typo (and year 1
#: or 9999 would not survive the conversion between time zones).
YEARS = (2000, 2100)


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
        if not YEARS[0] <= self.data.year <= YEARS[1]:
            self.data = None
            raise ValueError(_l("Please enter a date between 2000 and 2100."))
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


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (close check-ins, confirm hours, keep)."""
