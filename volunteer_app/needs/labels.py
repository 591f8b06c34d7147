"""The words for an order's statuses and the steps of its log, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from volunteer_app.needs.models import NeedStatus

STATUS_LABELS = {
    NeedStatus.SUBMITTED: _l("Waiting for review"),
    NeedStatus.REJECTED: _l("Rejected"),
    NeedStatus.ACCEPTED: _l("Accepted"),
    NeedStatus.ESCALATED: _l("Passed up a level"),
    NeedStatus.DISPATCHED: _l("Dispatched to a team"),
    NeedStatus.TAKEN: _l("Taken by a team"),
    NeedStatus.IN_SERVICE: _l("In service"),
    NeedStatus.COMPLETED: _l("Completed"),
    NeedStatus.RATED: _l("Rated"),
    NeedStatus.WITHDRAWN: _l("Withdrawn"),
}

STEP_LABELS = {
    "submit": _l("Order placed"),
    "accept": _l("Accepted by the station"),
    "reject": _l("Rejected"),
    "escalate": _l("Passed up to the level above"),
    "dispatch": _l("Dispatched to a team"),
    "take": _l("Taken by the team"),
    "decline": _l("The team could not take it; to be dispatched again"),
    "start": _l("Service began"),
    "complete": _l("Service completed"),
    "rate": _l("Rated by the resident"),
    "withdraw": _l("Withdrawn by the resident"),
    "urge": _l("Urged by the resident"),
    "erase": _l("The resident erased their details"),
}

#: Whom a menu item serves: the national service-object codes (服务对象).
AUDIENCE_LABELS = {
    "01": _l("Children"),
    "02": _l("Women"),
    "03": _l("Older people"),
    "04": _l("People with disabilities"),
    "05": _l("Servicemen's families and veterans"),
    "06": _l("Families in poverty"),
    "07": _l("Special groups"),
    "08": _l("Patients"),
    "09": _l("Rural residents"),
    "10": _l("Urban residents"),
    "11": _l("The general public"),
    "13": _l("Taxpayers and contributors"),
    "99": _l("Others"),
}
