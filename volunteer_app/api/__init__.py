"""JSON API v1 for kiosks, scanner apps and the district's other systems.

It calls the same services as the pages; there is no second implementation of a rule.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
console_bp = Blueprint("api_console", __name__, url_prefix="/account/api-tokens")

from . import auth, console, hours, routes, scan  # noqa: E402,F401
