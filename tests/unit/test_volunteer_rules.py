"""Phone numbers and names: normalised, validated, masked."""

import pytest

from volunteer_app.formatting import mask_phone
from volunteer_app.volunteers.rules import VolunteerError, normalize_name, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812341234",
        "138 1234 1234",
        "138-1234-1234",
        "+8613812341234",
        "008613812341234",
        "８６１３８１２３４１２３４"[2:],
        " 13812341234 ",
    ],
)
def test_phone_forms_accepted(raw):
    assert normalize_phone(raw) == "13812341234"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234123",
        "138123412345",
        "23812341234",
        "12812341234",
        "abc",
        "1381234123x",
        "<script>",
        "13812341234; DROP TABLE volunteers",
    ],
)
def test_bad_phones_refused(raw):
    with pytest.raises(VolunteerError) as info:
        normalize_phone(raw)
    assert info.value.code == "phone_invalid"


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("123") == "***"


def test_names():
    assert normalize_name("  李  秀英 ") == "李 秀英"
    assert normalize_name("Zhang Wei") == "Zhang Wei"
    assert normalize_name("阿卜杜拉·买买提") == "阿卜杜拉·买买提"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "name_required"),
        ("   ", "name_required"),
        ("名" * 51, "name_too_long"),
        ("李\x00秀英", "name_invalid"),
        ("李\u202e秀英", "name_invalid"),
    ],
)
def test_bad_names(raw, code):
    with pytest.raises(VolunteerError) as info:
        normalize_name(raw)
    assert info.value.code == code


def test_a_deleted_accounts_placeholder_is_never_shown_as_a_number():
    assert mask_phone("") == "—"
