"""Activities' creation, edits and duplicates are in the change log; a partial edit is refused."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from volunteer_app.activities.models import Activity
from volunteer_app.audit.models import AuditEntry
from volunteer_app.database import utcnow

from ..conftest import csrf_token


class FormValues(HTMLParser):
    """The values a browser would submit for each POST form of a page, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        values, name = self._form, attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            if attrs.get("type") != "checkbox":
                values[name] = attrs.get("value") or ""
            elif "checked" in attrs:
                values[name] = attrs.get("value") or "y"
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            values[name] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def rendered_form(client, url: str, field: str = "title") -> dict[str, str]:
    """What submitting ``url``'s form (the one with ``field``) unchanged would send."""
    parser = FormValues()
    parser.feed(client.get(url).get_data(as_text=True))
    (form,) = [f for f in parser.forms if field in f]
    return form


def entries(db, activity_id: int, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.activity_id == activity_id, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


def whole_minutes(make, **kwargs):
    """An activity starting on a whole minute, as the forms make them."""
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make.activity(starts_at=start, **kwargs)


def test_a_title_only_edit_keeps_the_times_and_logs_just_the_title(client, make, db, login_as):
    activity = whole_minutes(make, title="旧名称", capacity=5, description="带好水杯")
    user = login_as(make.user(unit=activity.unit))
    starts, ends = activity.starts_at, activity.ends_at
    url = f"/activities/{activity.id}/edit"
    data = rendered_form(client, url)
    assert {"starts_at", "ends_at", "title", "csrf_token", "allow_static_code"} <= data.keys()

    response = client.post(url, data={**data, "title": "新名称"})

    assert response.status_code == 302
    db.session.expire_all()
    activity = db.session.get(Activity, activity.id)
    assert activity.title == "新名称"
    assert (activity.starts_at, activity.ends_at) == (starts, ends)
    assert activity.capacity == 5 and activity.description == "带好水杯"
    assert activity.allow_static_code is True
    (entry,) = entries(db, activity.id, "activity.update")
    assert entry.actor_user_id == user.id
    assert entry.old_value == {"title": "旧名称"} and entry.new_value == {"title": "新名称"}
    # Saving the page unchanged writes nothing more.
    assert client.post(url, data=rendered_form(client, url)).status_code == 302
    assert len(entries(db, activity.id, "activity.update")) == 1
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "修改活动" in page and "活动名称：旧名称 → 新名称" in page


def test_an_edit_logs_every_changed_field_with_times_in_utc(client, make, db, login_as):
    activity = whole_minutes(make, title="交通劝导")
    login_as(make.user(unit=activity.unit))
    old_start, old_end = activity.starts_at, activity.ends_at
    url = f"/activities/{activity.id}/edit"
    data = {
        **rendered_form(client, url),
        "starts_at": "2030-03-05T07:00",
        "ends_at": "2030-03-05T08:30",
        "capacity": "8",
        "rotate_seconds": "20",
    }
    data.pop("allow_static_code")  # unticked
    assert client.post(url, data=data).status_code == 302
    (entry,) = entries(db, activity.id, "activity.update")
    assert entry.old_value == {
        "starts_at": old_start.isoformat(),
        "ends_at": old_end.isoformat(),
        "capacity": None,
        "rotate_seconds": 30,
        "allow_static_code": True,
    }
    assert entry.new_value == {
        "starts_at": "2030-03-04T23:00:00+00:00",  # 07:00 Beijing time
        "ends_at": "2030-03-05T00:30:00+00:00",
        "capacity": 8,
        "rotate_seconds": 20,
        "allow_static_code": False,
    }
    page = client.get(f"/activities/{activity.id}?lang=en").get_data(as_text=True)
    assert "Activity edited" in page and "Starts: " in page and "→ 2030-03-05 07:00" in page
    assert "Poster code accepted: Yes → No" in page


def test_a_partial_edit_without_the_times_is_refused_and_changes_nothing(
    client, make, db, login_as
):
    activity = whole_minutes(make, title="旧名称")
    login_as(make.user(unit=activity.unit))
    starts, ends = activity.starts_at, activity.ends_at
    url = f"/activities/{activity.id}/edit"
    full = rendered_form(client, url)
    for missing in (("starts_at", "ends_at"), ("starts_at",), ("ends_at",)):
        data = {k: v for k, v in full.items() if k not in missing}
        response = client.post(url, data={**data, "title": "只改标题"})
        assert response.status_code == 400, missing
        html = response.get_data(as_text=True)
        assert ("请填写开始时间。" if "starts_at" in missing else "请填写结束时间。") in html
    response = client.post(
        url, data={"csrf_token": full["csrf_token"], "title": "只改标题"}
    )  # a client sending only what changed
    assert response.status_code == 400
    db.session.expire_all()
    activity = db.session.get(Activity, activity.id)
    assert activity.title == "旧名称" and (activity.starts_at, activity.ends_at) == (starts, ends)
    assert entries(db, activity.id, "activity.update") == []


def test_creation_and_duplication_are_logged(client, make, db, login_as):
    station = make.unit(name="万福社区新时代文明实践站")
    category = make.category()
    user = login_as(make.user(unit=station))
    token = csrf_token(client, "/activities/new")
    response = client.post(
        "/activities/new",
        data={
            "csrf_token": token,
            "title": "植树绿化",
            "category_id": category.id,
            "unit_id": station.id,
            "place": "滨河公园",
            "starts_at": "2030-04-01T08:00",
            "ends_at": "2030-04-01T11:00",
            "capacity": "",
            "description": "",
        },
    )
    assert response.status_code == 302
    original = db.session.scalar(select(Activity))
    (created,) = entries(db, original.id, "activity.create")
    assert created.actor_user_id == user.id
    assert created.new_value["title"] == "植树绿化" and created.new_value["status"] == "published"
    assert created.new_value["starts_at"] == "2030-04-01T00:00:00+00:00"
    assert created.new_value["unit_id"] == station.id and "copied_from" not in created.new_value

    url = f"/activities/{original.id}/duplicate"
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "starts_at": "2030-04-08T08:00"})
    assert response.status_code == 302
    copy = db.session.scalar(select(Activity).where(Activity.id != original.id))
    (copied,) = entries(db, copy.id, "activity.create")
    assert copied.new_value["copied_from"] == original.id
    assert copied.new_value["status"] == "draft"
    assert copied.new_value["starts_at"] == "2030-04-08T00:00:00+00:00"
    page = client.get(f"/activities/{copy.id}").get_data(as_text=True)
    assert "创建活动" in page and f"复制自第 {original.id} 号活动" in page
