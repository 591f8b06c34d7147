"""What the organizer's activity list says about residents' orders: how many wait on the
organizer's units and how many of those are past their deadline, with a link to the queue.

A context processor rather than a call from the activities area, which sits below this one:
the list's template asks ``orders_notice()`` only when it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import current_user

from volunteer_app.auth.scoping import scoped_needs
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.needs import bp, rules
from volunteer_app.needs.manage import TABS, due_of
from volunteer_app.needs.models import Need, NeedPolicy, NeedStatus

#: Orders with a deadline running: those the station must answer or dispatch, and those
#: waiting on a team to take them.
RUNNING = (*TABS["waiting"], NeedStatus.DISPATCHED)


@dataclass(frozen=True)
class OrdersNotice:
    """How many orders wait on the organizer's units, and how many are overdue."""

    waiting: int = 0
    overdue: int = 0


def orders_notice_for(user, *, now) -> OrdersNotice:
    """The notice for ``user``'s scope: orders waiting review or dispatch, and the orders
    with a deadline running (those and the dispatched ones) that are past it."""
    running = list(db.session.scalars(scoped_needs(user).where(Need.status.in_(RUNNING))))
    policies: dict[int, NeedPolicy] = {}
    return OrdersNotice(
        waiting=sum(1 for n in running if n.status in TABS["waiting"]),
        overdue=sum(1 for n in running if rules.is_overdue(due_of(n, policies), now=now)),
    )


@bp.app_context_processor
def _orders_notice() -> dict:
    """``orders_notice()`` for the organizer's pages."""

    def orders_notice() -> OrdersNotice:
        if not current_user.is_authenticated:
            return OrdersNotice()
        return orders_notice_for(current_user, now=utcnow())

    return {"orders_notice": orders_notice}
