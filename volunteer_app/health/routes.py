"""``GET /healthz``: the app and its database answer."""

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from volunteer_app.extensions import db, limiter
from volunteer_app.health import bp


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the app and its database answer, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
