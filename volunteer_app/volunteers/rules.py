"""Pure rules about volunteers' personal data: phone numbers and names."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from ..errors import DomainError

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")
NAME_MAX_LENGTH = 50


class VolunteerError(DomainError):
    """Personal details were refused."""

    status = 400
    messages = {
        "phone_invalid": _l("Please enter an 11-digit mainland mobile number, e.g. 13812341234."),
        "name_required": _l("Please enter your name."),
        "name_too_long": _l("The name is too long (at most 50 characters)."),
        "name_invalid": _l("The name contains characters that are not allowed."),
        "consent_required": _l("Please agree to your service record being kept."),
    }


def normalize_phone(raw: str) -> str:
    """Return the 11-digit mainland mobile number in ``raw`` or raise VolunteerError.

    Accepts spaces, dashes, full-width digits and a leading +86 / 0086 / 86.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SEPARATORS.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not _MOBILE.match(text):
        raise VolunteerError("phone_invalid")
    return text


def normalize_name(raw: str) -> str:
    """Return a cleaned display name (trimmed, NFC, single spaces) or raise VolunteerError."""
    text = unicodedata.normalize("NFC", raw or "")
    text = " ".join(text.split())
    if not text:
        raise VolunteerError("name_required")
    if len(text) > NAME_MAX_LENGTH:
        raise VolunteerError("name_too_long")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in text):
        raise VolunteerError("name_invalid")
    return text


def mask_phone(phone: str) -> str:
    """Show a phone number as 138****1234."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
