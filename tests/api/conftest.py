"""API fixtures: an organizer with a token, and an activity of theirs running now."""

from __future__ import annotations

import pytest

from volunteer_app.api.services import create_token
from volunteer_app.database import utcnow


@pytest.fixture
def api(db, make):
    """A station organizer, their running activity and a Bearer header."""
    activity = make.activity(title="学雷锋义诊", capacity=20)
    user = make.user(unit=activity.unit)
    token, raw = create_token(user, "kiosk", now=utcnow())
    db.session.commit()

    class Api:
        headers = {"Authorization": f"Bearer {raw}"}

    Api.user, Api.activity, Api.token, Api.raw = user, activity, token, raw
    return Api
