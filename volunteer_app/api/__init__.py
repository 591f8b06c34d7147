"""JSON API v1 for kiosks, scanner apps and the district's other systems.

It calls the same services as the pages; there is no second implementation of a rule.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
console_bp = Blueprint("api_console", __name__, url_prefix="/account/api-tokens")

from volunteer_app.api.bodies import SafeJSONProvider  # noqa: E402


@bp.record_once
def _safe_json(state) -> None:
    """Deeply nested JSON is a 400 (invalid JSON), never a 500: see api/bodies.py."""
    state.app.json = SafeJSONProvider(state.app)


#: The modules that attach views to ``bp`` and ``console_bp``; ``create_app`` imports them.
VIEWS = ("auth", "console", "hours", "routes", "scan", "teams", "needs")
