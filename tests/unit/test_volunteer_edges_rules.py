"""Rules behind issue 20's volunteer edges: the form problems found at once, the tries left
before the PIN lock, and WeChat's long user agents named 微信."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from volunteer_app.volunteers.rules import (
    MAX_PIN_FAILURES,
    IdentityError,
    compute_failure,
    compute_form_problems,
    compute_tries_left,
    describe_user_agent,
    shorten_user_agent,
    validate_form,
)

NOW = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)

#: Real WeChat in-app browser agents (Android with XWEB, iPhone, HarmonyOS) and WeCom.
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 12; V2183A Build/SP1A.210812.003; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5075 "
    "MMWEBSDK/20230504 MMWEBID/4367 MicroMessenger/8.0.37.2380(0x2800253D) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
WECHAT_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148 MicroMessenger/8.0.38(0x1800262c) NetType/WIFI Language/zh_CN"
)
WECHAT_HARMONY = (
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; ALN-AL00; HMSCore 6.11.0.302) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.0.300 "
    "Mobile Safari/537.36 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 "
    "Weixin NetType/5G Language/zh_CN ABI/arm64"
)
WECOM = (
    "Mozilla/5.0 (Linux; Android 13; 22081212C Build/TKQ1.220829.002; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/105.0.5195.148 Mobile Safari/537.36 "
    "MMWEBSDK/20230405 MMWEBID/2510 wxwork/4.1.6 MicroMessenger/7.0.1 NetType/WIFI "
    "Language/zh Lang/zh ColorScheme/Light"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (WECHAT_ANDROID, "WeChat · Android"),
        (WECHAT_IPHONE, "WeChat · iPhone"),
        (WECHAT_HARMONY, "WeChat · HarmonyOS"),
        (WECOM, "WeCom · Android"),
    ],
)
def test_wechat_is_named_even_after_the_agent_is_cut_to_its_column(agent, expected):
    assert len(agent) > 150
    assert describe_user_agent(agent) == expected
    stored = shorten_user_agent(agent, 200)
    assert len(stored) <= 200
    assert describe_user_agent(stored) == expected


def test_the_plain_cut_was_what_called_wechat_chrome():
    assert describe_user_agent(WECHAT_ANDROID[:200]) == "Chrome · Android"


def test_wechat_is_called_weixin_in_chinese(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh"):
        assert describe_user_agent(WECHAT_ANDROID) == "微信 · Android"
        assert describe_user_agent(WECOM) == "企业微信 · Android"


def test_shorten_keeps_short_agents_and_cuts_endless_ones():
    assert shorten_user_agent("curl/8.0", 200) == "curl/8.0"
    endless = "Mozilla/5.0 (Linux; Android 13) " + "x" * 500 + " MicroMessenger/8.0.40"
    stored = shorten_user_agent(endless, 200)
    assert len(stored) <= 200 and describe_user_agent(stored) == "WeChat · Android"


def test_tries_left_count_down_to_the_lock():
    failures, left = 0, []
    for _ in range(MAX_PIN_FAILURES):
        failures, locked_until = compute_failure(failures, NOW)
        left.append(compute_tries_left(failures, locked_until))
    assert left == [4, 3, 2, 1, 0]


def test_tries_note_is_added_only_when_counted(app):
    with app.test_request_context():
        plain = IdentityError("mismatch")
        counted = IdentityError("mismatch")
        counted.tries_left = 2
        assert counted.message.startswith(plain.message)
        assert counted.message.endswith("还可尝试 2 次，之后此号码将锁定 15 分钟。")
        counted.tries_left = 0
        assert counted.message.endswith("此号码现已锁定 15 分钟。")


def _codes(problems):
    return {field: error.code for field, error in problems.items()}


def test_an_empty_form_has_four_problems_at_once():
    problems = compute_form_problems(phone="", pin="", name="", consent=False, new_person=False)
    assert _codes(problems) == {
        "phone": "phone_invalid",
        "pin": "pin_format",
        "name": "name_required",
        "consent": "consent_required",
    }


def test_a_valid_number_alone_may_be_a_known_one_name_and_consent_are_not_asked():
    problems = compute_form_problems(
        phone="13812341234", pin="2580", name="", consent=False, new_person=False
    )
    assert problems == {}
    one_time_code = compute_form_problems(
        phone="13812341234", pin="12345678", name="", consent=False, new_person=False
    )
    assert one_time_code == {}


def test_a_new_person_needs_name_consent_and_a_good_new_pin():
    problems = compute_form_problems(
        phone="13812341234", pin="1234", name=" ", consent=False, new_person=True
    )
    assert _codes(problems) == {
        "pin": "pin_too_simple",
        "name": "name_required",
        "consent": "consent_required",
    }
    with pytest.raises(IdentityError) as raised:
        validate_form(problems, ("pin", "name"))
    assert raised.value.code == "pin_too_simple" and raised.value.problems is problems
    validate_form({}, ("pin",))  # nothing wrong: nothing raised
