"""What-if experiments for ``bench/checkin_burst.py --experiment``: never shipped behaviour.

Each one removes a cost from the check-in path to measure what the throughput ratios
would be without it (docs/benchmarks.md, "What the targets would take"). The server loads
``bench.experiments:create_app()``, which applies the experiments named in
``BENCH_EXPERIMENTS`` (comma-separated) and builds the real app.

- ``free-page``: a successful form POST answers an empty 200 instead of rendering the
  success page (the cost of the page, and only that, is gone).
- ``free-auth``: an API token resolves from a per-process dict after its first use, with
  no query (what a token cache could at best save; revoking would no longer be immediate).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from flask import request

EXPERIMENTS = ("free-page", "free-auth")


def create_app():
    """The real app, with the experiments of ``BENCH_EXPERIMENTS`` applied first."""
    from volunteer_app import create_app as real_create_app

    wanted = [name for name in os.environ.get("BENCH_EXPERIMENTS", "").split(",") if name]
    for name in wanted:
        if name not in EXPERIMENTS:
            raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
        {"free-page": _free_page, "free-auth": _free_auth}[name]()
    return real_create_app()


def _free_page() -> None:
    from volunteer_app.checkins import routes

    render = routes._render

    def render_unless_success(*args, **kwargs):
        if request.method == "POST" and kwargs.get("success"):
            return "", 200
        return render(*args, **kwargs)

    routes._render = render_unless_success


def _free_auth() -> None:
    from volunteer_app.api import auth

    lookup = auth.user_for_token
    known: dict[str, SimpleNamespace] = {}

    def cached_user_for_token(raw: str):
        if raw not in known:
            user = lookup(raw)
            if user is None:
                return None
            known[raw] = SimpleNamespace(id=user.id, role=user.role, unit_id=user.unit_id)
        return known[raw]

    auth.user_for_token = cached_user_for_token
