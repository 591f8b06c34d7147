"""Pure rules about volunteers' personal data: phone numbers and names."""

from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from volunteer_app.errors import DomainError

#: A mainland mobile number (the API's document names the same pattern).
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
_MOBILE = re.compile(MOBILE_PATTERN)
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
        "name_taken": _l("This phone already has a volunteer of this name."),
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


# --- PINs and the lockout that guards them -------------------------------------------------

#: A PIN is 4–6 digits; a one-time code an organizer hands over is 8 digits.
_PIN = re.compile(r"^[0-9]{4,6}$")
_SECRET = re.compile(r"^[0-9]{4,8}$")
#: This many wrong PINs in a row for one phone number lock it for LOCKOUT.
MAX_PIN_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: How long an organizer's one-time code stays valid.
SETUP_CODE_VALIDITY = timedelta(minutes=30)
SETUP_CODE_LENGTH = 8
#: A PIN older than this makes its household "long-standing": only a centre or district
#: organizer may reset it with a one-time code.
LONG_STANDING = timedelta(days=30)


class IdentityError(DomainError):
    """A sign-in with phone number and PIN was refused.

    ``mismatch`` is deliberately the same for an unknown number, a wrong PIN and a number
    that has no PIN yet, so a stranger cannot learn who is registered.
    """

    status = 401
    messages = {
        "mismatch": _l(
            "The mobile number and PIN do not match. Forgotten your PIN? An organizer of a "
            "station where you served can give you a one-time code in person."
        ),
        "locked": _l(
            "Too many wrong attempts for this number. Please wait 15 minutes and try again, "
            "or ask an organizer for a one-time code."
        ),
        "pin_format": _l("The PIN must be 4 to 6 digits."),
        "pin_too_simple": _l(
            "This PIN is too easy to guess (like 1111 or 1234). Please choose another one."
        ),
        "pin_confirm": _l("The two PINs you entered are not the same."),
        "current_pin_wrong": _l("The current PIN is wrong."),
        "desk_pin_wrong": _l(
            "This PIN is not right. The volunteer can check in by scanning the code with "
            "their own phone."
        ),
        "no_pin": _l(
            "This number has no PIN yet. Please ask the station that registered you for a "
            "one-time code, or have a code sent to this number by SMS if offered below."
        ),
    }

    #: Wrong PINs still allowed before the number locks (0: locked just now), when counted.
    tries_left: int | None = None

    @property
    def message(self) -> str:
        """The code's message, and after a counted wrong PIN how many tries are left."""
        text = str(self.messages[self.code])
        return text if self.tries_left is None else f"{text} {tries_note(self.tries_left)}"


def tries_note(left: int) -> str:
    """ "还可尝试 N 次" after a wrong PIN, or that the number is now locked.

    Unknown numbers are counted exactly like registered ones, so this tells a stranger
    nothing about who is registered (docs/security.md).
    """
    if left <= 0:
        return str(_l("This number is now locked for 15 minutes."))
    return str(
        lazy_ngettext(
            "You can try %(num)d more time before the number is locked for 15 minutes.",
            "You can try %(num)d more times before the number is locked for 15 minutes.",
            left,
        )
    )


def compute_tries_left(failures: int, locked_until: datetime | None) -> int:
    """Wrong PINs left after ``compute_failure`` gave (failures, locked_until)."""
    return 0 if locked_until is not None else MAX_PIN_FAILURES - failures


class SetupCodeError(DomainError):
    """An organizer may not give this one-time code."""

    status = 403
    messages = {
        "ask_centre": _l(
            "This volunteer has had their PIN for a long time, or has records at other "
            "stations: only an organizer of the centre or the district may reset it. Please "
            "ask your centre."
        ),
        "others_on_number": _l(
            "Other people on this number are registered with other stations: a code would "
            "open their records too. Only the district may give it; or the person signs in "
            "with the number's PIN on their own phone."
        ),
    }


def validate_code_issue(
    *,
    station_level: bool,
    pin_set_at: datetime | None,
    has_pin: bool,
    records_elsewhere: bool,
    now: datetime,
    others_on_number: bool = False,
    district_level: bool = False,
) -> None:
    """May an organizer give a one-time code for this household (SetupCodeError otherwise)?

    A code opens the whole household: whoever holds the phone acts for all its people. So
    when the number also carries people the organizer may not act for
    (``others_on_number``), only the district may give one.

    A household without a PIN (registered by others) may get a code from any organizer who
    may see its volunteer. A code for a household *with* a PIN resets that PIN; a
    long-standing account (PIN older than ``LONG_STANDING``, or records at units outside the
    organizer's) needs an organizer above station level (``station_level`` False).
    """
    if others_on_number and not district_level:
        raise SetupCodeError("others_on_number")
    if not has_pin or not station_level:
        return
    if records_elsewhere or pin_set_at is None or now - pin_set_at > LONG_STANDING:
        raise SetupCodeError("ask_centre")


def validate_new_pin(pin: str, confirm: str | None = None) -> str:
    """Return an acceptable new PIN (4–6 digits, not trivial) or raise IdentityError."""
    pin = unicodedata.normalize("NFKC", pin or "").strip()
    if not _PIN.match(pin):
        raise IdentityError("pin_format", status=400)
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise IdentityError("pin_too_simple", status=400)
    if confirm is not None and unicodedata.normalize("NFKC", confirm).strip() != pin:
        raise IdentityError("pin_confirm", status=400)
    return pin


def normalize_secret(raw: str) -> str | None:
    """The digits of a PIN or one-time code as typed, or None if it cannot be one."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    return text if _SECRET.match(text) else None


def compute_form_problems(
    *, phone: str, pin: str, name: str, consent: bool, new_person: bool
) -> dict[str, DomainError]:
    """Everything wrong with a volunteer's identity form, by field, found at once.

    Shape only, no database: the mobile number, a PIN or one-time code that can be one, and
    the name and consent. ``new_person``: the number is known to be new (or a new person
    joins a signed-in phone): then name and consent are required and the PIN must be a good
    new one. Otherwise a known number needs neither name nor consent; but while the number
    itself is missing or wrong nobody can tell, so name and consent are asked for too (the
    form is a first-time form). Reveals nothing about who is registered: it reads no data.
    """
    problems: dict[str, DomainError] = {}
    phone_ok = True
    try:
        normalize_phone(phone)
    except VolunteerError as error:
        problems["phone"] = error
        phone_ok = False
    if new_person:
        try:
            validate_new_pin(pin)
        except IdentityError as error:
            problems["pin"] = error
    elif normalize_secret(pin) is None:
        problems["pin"] = IdentityError("pin_format", status=400)
    if new_person or not phone_ok:
        if name.strip():
            try:
                normalize_name(name)
            except VolunteerError as error:
                problems["name"] = error
        else:
            problems["name"] = VolunteerError("name_required")
        if not consent:
            problems["consent"] = VolunteerError("consent_required")
    elif name.strip():
        try:
            normalize_name(name)
        except VolunteerError as error:
            problems["name"] = error
    return problems


def validate_form(problems: dict[str, DomainError], order: tuple[str, ...]) -> None:
    """Raise the first of ``problems`` in field ``order``, carrying all of them (``problems``)."""
    for field in order:
        if field in problems:
            error = problems[field]
            error.problems = problems
            raise error


#: The form field each error code belongs to, so the page shows it beside that field.
FIELD_OF_CODE = {
    "phone_invalid": "phone",
    "name_required": "name",
    "name_too_long": "name",
    "name_invalid": "name",
    "name_taken": "name",
    "consent_required": "consent",
    "pin_format": "pin",
    "pin_too_simple": "pin",
    "pin_confirm": "confirm",
    "current_pin_wrong": "current_pin",
}


def validate_attempt_allowed(locked_until: datetime | None, now: datetime) -> None:
    """Refuse any PIN attempt while the number is locked (IdentityError "locked", 429)."""
    if locked_until is not None and now < locked_until:
        raise IdentityError("locked", status=429)


def compute_failure(failures: int, now: datetime) -> tuple[int, datetime | None]:
    """The throttle state after one more wrong PIN: (failures, locked_until).

    The fifth failure in a row locks the number for 15 minutes and starts counting afresh,
    so each further burst of five wrong PINs costs another 15 minutes.
    """
    failures += 1
    if failures >= MAX_PIN_FAILURES:
        return 0, now + LOCKOUT
    return failures, None


#: The first key found in a user agent names its browser. The in-app browsers of WeChat and
#: WeCom (企业微信) say "Chrome" and "Safari" too: their own tokens come first.
_BROWSERS = (
    ("wxwork", _l("WeCom")),
    ("MicroMessenger", _l("WeChat")),
    ("EdgA", "Edge"),
    ("Edg/", "Edge"),
    ("Firefox", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("HarmonyOS", "HarmonyOS"),
    ("OpenHarmony", "HarmonyOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)
#: Tokens that name a browser, kept when a long user agent is cut to fit its column.
_BRAND_TOKENS = re.compile(r"\b(?:MicroMessenger|wxwork|EdgA?|Firefox|CriOS)/\S+")
#: Parts of a user agent that name neither browser nor system.
_UA_NOISE = re.compile(
    r"\s*(?:\(KHTML, like Gecko\)|AppleWebKit/\S+|Version/\S+|Build/[^;)]+|"
    r"XWEB/\S+|MMWEBSDK/\S+|MMWEBID/\S+|NetType/\S+|Language/\S+|ABI/\S+|Process/\S+)"
)


def describe_user_agent(user_agent: str) -> str:
    """A short name for a device list, e.g. "微信 · Android"; "" when nothing is known."""
    browser = next((str(name) for key, name in _BROWSERS if key in user_agent), "")
    system = next((name for key, name in _SYSTEMS if key in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def shorten_user_agent(user_agent: str, limit: int) -> str:
    """``user_agent`` cut to ``limit`` characters without losing what names the browser.

    WeChat's agents run to 300 characters with "MicroMessenger" near the end: cutting
    the tail would list WeChat as "Chrome · Android". Noise goes first, then the middle.
    """
    if len(user_agent) <= limit:
        return user_agent
    text = " ".join(_UA_NOISE.sub("", user_agent).split())
    if len(text) <= limit:
        return text
    brands = " ".join(_BRAND_TOKENS.findall(text))[: limit // 2]
    head = text[: max(limit - len(brands) - 1, 0)]
    return f"{head} {brands}".strip()[:limit]
