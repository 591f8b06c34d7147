"""Hours over the API: list, adjust with a reason, confirm; the review services' rules and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.audit.services import for_activity
from volunteer_app.checkins import review, services
from volunteer_app.checkins.models import HoursOrigin
from volunteer_app.database import utcnow

from .test_api import error_code


@pytest.fixture
def ended(db, make, api):
    """An activity of the API user's station that ended an hour ago: one volunteer checked
    out after 2 h, one closed at the end without a check-out (0 h, marked for review)."""
    start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
    activity = make.activity(unit=api.activity.unit, title="周末义诊", starts_at=start, minutes=180)
    out, stayed = make.volunteer("王芳", phone="13812341234"), make.volunteer("张伟")
    services.check_in(activity, out, now=start)
    services.check_out(activity, out, now=start + timedelta(hours=2))
    services.check_in(activity, stayed, now=start + timedelta(minutes=5))
    review.close_open_checkins(activity, utcnow(), actor=api.user)
    db.session.commit()

    class Ended:
        pass

    Ended.activity = activity
    Ended.out = services.find_record(activity.id, out.id)
    Ended.stayed = services.find_record(activity.id, stayed.id)
    return Ended


def audit_count(db, action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_list_hours_with_review_marks_and_summary(client, api, ended):
    response = client.get(f"/api/v1/activities/{ended.activity.id}/hours", headers=api.headers)
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    assert body["summary"] == {"open": 0, "needs_review": 1, "pending": 2}
    first, second = body["items"]
    assert first["id"] == ended.out.id and first["name"] == "王芳"
    assert first["phone"] == "138****1234" and "13812341234" not in response.get_data(as_text=True)
    assert first["minutes"] == 120 and first["hours"] == 2.0 and first["origin"] == "scan"
    assert first["status"] == "pending" and first["needs_review"] is False
    assert second["needs_review"] is True and second["minutes"] == 0
    paged = client.get(
        f"/api/v1/activities/{ended.activity.id}/hours?page=2&per_page=1", headers=api.headers
    ).json
    assert [item["id"] for item in paged["items"]] == [ended.stayed.id] and paged["total"] == 2
    bad = client.get(
        f"/api/v1/activities/{ended.activity.id}/hours?per_page=0", headers=api.headers
    )
    assert bad.status_code == 400 and error_code(bad) == "invalid_parameter"


def test_adjust_uses_the_review_service_and_a_repeat_changes_nothing(client, db, api, ended):
    url = f"/api/v1/activities/{ended.activity.id}/hours/{ended.stayed.id}"
    body = {"hours": 2.5, "reason": "  忘记签退，现场核实服务到结束 "}
    response = client.post(url, json=body, headers=api.headers)
    assert response.status_code == 200, response.json
    assert response.json["changed"] is True and response.json["minutes"] == 150
    assert response.json["origin"] == "organizer" and response.json["needs_review"] is False
    adjusted = [e for e in for_activity(ended.activity.id) if e.action == "hours.adjust"]
    assert len(adjusted) == 1
    assert adjusted[0].actor_user_id == api.user.id
    assert adjusted[0].personal_value("reason") == "忘记签退，现场核实服务到结束"
    old, new = adjusted[0].old_value, adjusted[0].new_value
    assert (old["minutes"], old["origin"]) == (0, "scan")
    assert (new["minutes"], new["origin"]) == (150, "organizer")
    repeat = client.post(url, json=body, headers=api.headers)
    assert repeat.status_code == 200 and repeat.json["changed"] is False
    assert repeat.json["minutes"] == 150
    assert audit_count(db, "hours.adjust") == 1
    record = services.find_record(ended.activity.id, ended.stayed.volunteer_id)
    db.session.refresh(record)
    assert record.minutes == 150 and record.recorded_by_id == api.user.id
    assert record.origin == HoursOrigin.ORGANIZER


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"hours": 2.25, "reason": "x"}, 422, "hours_invalid"),
        ({"hours": 3.5, "reason": "x"}, 422, "hours_exceed_duration"),
        ({"hours": 2, "reason": "x" * 501}, 422, "reason_too_long"),
        ({"hours": 2, "reason": "   "}, 422, "invalid_body"),
        ({"hours": 2}, 422, "invalid_body"),
        ({"hours": "2", "reason": "x"}, 422, "invalid_body"),
        ({"hours": True, "reason": "x"}, 422, "invalid_body"),
        ({"hours": -0.5, "reason": "x"}, 422, "invalid_body"),
        ({"hours": 1e308, "reason": "x"}, 422, "invalid_body"),
        ({"hours": 2, "reason": 5}, 422, "invalid_body"),
        ({"hours": 2, "reason": "x", "minutes": 120}, 422, "invalid_body"),
        (["hours"], 400, "invalid_json"),
    ],
)
def test_adjust_refuses_bad_values_and_logs_nothing(client, db, api, ended, body, status, code):
    response = client.post(
        f"/api/v1/activities/{ended.activity.id}/hours/{ended.stayed.id}",
        json=body,
        headers=api.headers,
    )
    assert response.status_code == status and error_code(response) == code
    assert audit_count(db, "hours.adjust") == 0


def test_malformed_json_and_nan_are_400_or_422(client, db, api, ended):
    url = f"/api/v1/activities/{ended.activity.id}/hours/{ended.stayed.id}"
    headers = {**api.headers, "Content-Type": "application/json"}
    malformed = client.post(url, data="{hours: 2", headers=headers)
    assert malformed.status_code == 400 and error_code(malformed) == "invalid_json"
    nan = client.post(url, data='{"hours": NaN, "reason": "x"}', headers=headers)
    assert nan.status_code in (400, 422) and nan.is_json
    confirm = client.post(
        f"/api/v1/activities/{ended.activity.id}/hours/confirm", data="{", headers=headers
    )
    assert confirm.status_code == 400 and error_code(confirm) == "invalid_json"
    assert audit_count(db, "hours.adjust") == audit_count(db, "hours.confirm") == 0


def test_adjusting_an_open_record_is_409(client, db, make, api):
    volunteer = make.volunteer()
    record = services.check_in(api.activity, volunteer, now=utcnow())
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/hours/{record.id}",
        json={"hours": 1, "reason": "x"},
        headers={**api.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 409 and error_code(response) == "still_open"
    assert response.json["error"]["message"].startswith("This volunteer has not checked out yet")


def test_confirm_needs_reviewed_records_then_a_repeat_is_harmless(client, db, api, ended):
    url = f"/api/v1/activities/{ended.activity.id}/hours/confirm"
    refused = client.post(url, headers=api.headers)
    assert refused.status_code == 409 and error_code(refused) == "needs_review"
    assert refused.json["error"]["message"] == "还有待复核的记录，请先调整或保留。"
    client.post(
        f"/api/v1/activities/{ended.activity.id}/hours/{ended.stayed.id}",
        json={"hours": 0, "reason": "未到场服务"},
        headers=api.headers,
    )
    done = client.post(url, json={}, headers=api.headers)
    assert done.status_code == 200, done.json
    assert done.json["confirmed"] == 2 and done.json["already"] is False
    assert done.json["status"] == "finished" and "2" in done.json["message"]
    assert audit_count(db, "hours.confirm") == 2
    again = client.post(url, headers={**api.headers, "Accept-Language": "en"})
    assert again.status_code == 200 and again.json["already"] is True
    assert again.json["confirmed"] == 0 and "already confirmed" in again.json["message"]
    assert audit_count(db, "hours.confirm") == 2
    listing = client.get(f"/api/v1/activities/{ended.activity.id}/hours", headers=api.headers)
    assert {item["status"] for item in listing.json["items"]} == {"confirmed"}


def test_confirm_rules_come_from_the_review_service(client, db, make, api):
    running = client.post(
        f"/api/v1/activities/{api.activity.id}/hours/confirm", headers=api.headers
    )
    assert running.status_code == 409 and error_code(running) == "not_ended"
    start = utcnow() - timedelta(hours=5)
    empty = make.activity(unit=api.activity.unit, starts_at=start, minutes=60)
    db.session.commit()
    nothing = client.post(f"/api/v1/activities/{empty.id}/hours/confirm", headers=api.headers)
    assert nothing.status_code == 409 and error_code(nothing) == "nothing_to_confirm"
    extra = client.post(
        f"/api/v1/activities/{empty.id}/hours/confirm", json={"all": True}, headers=api.headers
    )
    assert extra.status_code == 422 and error_code(extra) == "invalid_body"


def test_hours_of_other_stations_and_unknown_records_are_404(client, db, make, api, ended):
    other = make.activity(title="别的站点")
    theirs = services.check_in(other, make.volunteer(), now=utcnow())
    db.session.commit()
    for method, url, body in [
        ("get", f"/api/v1/activities/{other.id}/hours", None),
        ("post", f"/api/v1/activities/{other.id}/hours/{theirs.id}", {"hours": 1, "reason": "x"}),
        ("post", f"/api/v1/activities/{other.id}/hours/confirm", None),
        # a record of another activity, named under one of mine
        (
            "post",
            f"/api/v1/activities/{ended.activity.id}/hours/{theirs.id}",
            {"hours": 1, "reason": "x"},
        ),
        (
            "post",
            f"/api/v1/activities/{ended.activity.id}/hours/999999",
            {"hours": 1, "reason": "x"},
        ),
    ]:
        response = client.open(url, method=method.upper(), json=body, headers=api.headers)
        assert response.status_code == 404, (url, response.status_code)
        assert error_code(response) in ("http_404", "record_not_found")
    assert audit_count(db, "hours.adjust") == 0


@pytest.mark.parametrize("header", [None, "Bearer nope", "revoked"])
def test_hours_need_a_live_token(client, db, api, ended, header):
    if header == "revoked":
        api.token.revoked_at = utcnow()
        db.session.commit()
        headers = api.headers
    else:
        headers = {"Authorization": header} if header else {}
    base = f"/api/v1/activities/{ended.activity.id}/hours"
    for method, url in [
        ("GET", base),
        ("POST", f"{base}/{ended.stayed.id}"),
        ("POST", f"{base}/confirm"),
    ]:
        response = client.open(
            url, method=method, json={"hours": 1, "reason": "x"}, headers=headers
        )
        assert response.status_code == 401 and error_code(response) == "unauthorized"
    assert audit_count(db, "hours.adjust") == audit_count(db, "hours.confirm") == 0


def test_close_open_checkins_then_keep_then_confirm(client, db, make, api):
    """The page's whole review flow over the API, each step repeated harmlessly."""
    start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
    activity = make.activity(unit=api.activity.unit, starts_at=start, minutes=180)
    volunteer = make.volunteer("张伟")
    services.check_in(activity, volunteer, now=start)
    db.session.commit()
    base = f"/api/v1/activities/{activity.id}/hours"
    closed = client.post(f"{base}/close", headers=api.headers)
    assert closed.status_code == 200 and closed.json["closed"] == 1
    assert closed.json["message"] == "已关闭 1 条未签退记录，已标记为待复核。"
    again = client.post(f"{base}/close", json={}, headers=api.headers)
    assert again.status_code == 200 and again.json["closed"] == 0
    assert audit_count(db, "checkin.close_at_end") == 1
    record = services.find_record(activity.id, volunteer.id)
    kept = client.post(f"{base}/{record.id}/keep", headers=api.headers)
    assert kept.status_code == 200 and kept.json["changed"] is True
    assert kept.json["needs_review"] is False and kept.json["origin"] == "scan"
    repeat = client.post(f"{base}/{record.id}/keep", headers=api.headers)
    assert repeat.status_code == 200 and repeat.json["changed"] is False
    assert audit_count(db, "hours.review_keep") == 1
    assert client.post(f"{base}/confirm", headers=api.headers).json["confirmed"] == 1


def test_close_and_keep_follow_the_review_rules(client, db, make, api):
    record = services.check_in(api.activity, make.volunteer(), now=utcnow())
    db.session.commit()
    base = f"/api/v1/activities/{api.activity.id}/hours"
    early = client.post(f"{base}/close", headers=api.headers)
    assert early.status_code == 409 and error_code(early) == "not_ended"
    still_open = client.post(f"{base}/{record.id}/keep", headers=api.headers)
    assert still_open.status_code == 409 and error_code(still_open) == "still_open"
    extra = client.post(f"{base}/{record.id}/keep", json={"x": 1}, headers=api.headers)
    assert extra.status_code == 422 and error_code(extra) == "invalid_body"
    other = make.activity(title="别的站点")
    theirs = services.check_in(other, make.volunteer(), now=utcnow())
    db.session.commit()
    for url in (
        f"/api/v1/activities/{other.id}/hours/close",
        f"/api/v1/activities/{other.id}/hours/{theirs.id}/keep",
        f"{base}/{theirs.id}/keep",
    ):
        assert client.post(url, headers=api.headers).status_code == 404, url
    assert client.post(f"{base}/close").status_code == 401
