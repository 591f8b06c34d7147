"""Certificate verification codes: signed, tamper-evident, and the period rules."""

from datetime import date

import pytest

from volunteer_app.volunteers.certificates import (
    CertificateError,
    sign_code,
    validate_period,
    verify_code,
)

KEY = "unit-test-secret-key-0123456789abcdef"


def test_round_trip():
    code = sign_code(KEY, 42)
    assert code.startswith("k42.") and len(code) < 40
    assert verify_code(KEY, code) == 42


def _tampered(code: str) -> list[str]:
    payload, signature = code.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"k43.{signature}",  # another certificate's id with this signature
        f"{payload}.{flipped}",  # altered signature
        payload,  # signature removed
        code + "x",
        "k42.forged",
        "",
        "证书",
        "x" * 300,
    ]


@pytest.mark.parametrize("bad", _tampered(sign_code(KEY, 42)))
def test_altered_or_forged_codes_are_refused(bad):
    with pytest.raises(CertificateError) as caught:
        verify_code(KEY, bad)
    assert caught.value.code == "forged"


def test_a_code_signed_with_another_key_is_refused():
    with pytest.raises(CertificateError):
        verify_code(KEY, sign_code("another-key-entirely-0123456789", 42))


def test_card_and_checkin_signatures_are_not_certificate_codes():
    from volunteer_app.checkins.tokens import issue_token
    from volunteer_app.volunteers.cards import issue_card

    for other in (issue_card(KEY, "R5tYb8Qw1nX0zKp3"), issue_token(KEY, "q3TzV9kLm0aB7xYc")):
        with pytest.raises(CertificateError):
            verify_code(KEY, other)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (date(2026, 3, 6), date(2026, 3, 5), "period_invalid"),
        (date(2026, 12, 1), date(2026, 12, 31), "period_future"),
        (date(2020, 1, 1), date(2026, 1, 1), "period_too_long"),
    ],
)
def test_bad_periods(start, end, code):
    with pytest.raises(CertificateError) as caught:
        validate_period(start, end, today=date(2026, 11, 26))
    assert caught.value.code == code


def test_a_single_day_is_a_valid_period():
    validate_period(date(2026, 3, 5), date(2026, 3, 5), today=date(2026, 11, 26))
