"""The OpenAPI 3.1 document, built from the route table and the pydantic models.

Schemas come from the same models that validate requests and shape responses, and
``tests/api/test_openapi.py`` checks that every API route is documented and nothing else,
so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema
from werkzeug.routing import Map

from .schemas import ActivityOut, CheckInOut, CheckInResult, Error, Page, VolunteerRef

REF = "#/components/schemas/{model}"
PAGE_PARAMS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]
ACTIVITY_ID = {
    "name": "activity_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict, example: Any = None) -> dict:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"content": {"application/json": content}}


def _errors(*codes: int) -> dict:
    texts = {
        400: "Bad request (invalid JSON or parameter)",
        401: "Missing, unknown or revoked token",
        404: "Not found, or not in the caller's scope",
        409: "Refused by a check-in rule (closed, cancelled, not checked in …)",
        422: "The body does not match the schema",
        429: "Rate limit exceeded",
    }
    return {
        str(code): {"description": texts[code], **_json(_ref(Error))} for code in (401, 429, *codes)
    }


VOLUNTEER_EXAMPLES = {
    "walk-in": {"value": {"phone": "13812341234", "name": "李秀英"}},
    "card": {"value": {"card": "c42.Xb3kP0oQ5aVn8cT1yR2uE7wIzHs"}},
}
RECORD_EXAMPLE = {
    "id": 7, "volunteer_id": 42, "name": "李秀英", "phone": "138****1234",
    "checked_in_at": "2021-03-05T00:25:00Z", "checked_out_at": None, "minutes": 0,
    "hours": 0.0, "origin": "organizer", "status": "pending", "already": False,
}  # fmt: skip


def operations() -> dict[tuple[str, str], dict]:
    """Every documented operation, keyed by (method, OpenAPI path)."""
    checkin_body = {
        "required": True,
        "content": {
            "application/json": {"schema": _ref(VolunteerRef), "examples": VOLUNTEER_EXAMPLES}
        },
    }
    return {
        ("get", "/api/v1/activities"): {
            "operationId": "listActivities",
            "summary": "Activities the caller may see, newest first",
            "parameters": [
                *PAGE_PARAMS,
                {
                    "name": "station_id",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                },
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": ["draft", "published", "finished", "cancelled"]},
                },
                {
                    "name": "date_from",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                },
                {"name": "date_to", "in": "query", "schema": {"type": "string", "format": "date"}},
            ],
            "responses": {
                "200": {"description": "A page", **_json(_ref(Page[ActivityOut]))},
                **_errors(400),
            },
        },
        ("get", "/api/v1/activities/{activity_id}"): {
            "operationId": "getActivity",
            "summary": "One activity",
            "parameters": [ACTIVITY_ID],
            "responses": {
                "200": {"description": "The activity", **_json(_ref(ActivityOut))},
                **_errors(404),
            },
        },
        ("get", "/api/v1/activities/{activity_id}/checkins"): {
            "operationId": "listCheckins",
            "summary": "Attendance of an activity, in arrival order (phones masked)",
            "parameters": [ACTIVITY_ID, *PAGE_PARAMS],
            "responses": {
                "200": {"description": "A page", **_json(_ref(Page[CheckInOut]))},
                **_errors(400, 404),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/checkins"): {
            "operationId": "checkIn",
            "summary": "Check a volunteer in (by card, or by phone; a new phone needs a name)",
            "parameters": [ACTIVITY_ID],
            "requestBody": checkin_body,
            "responses": {
                "201": {"description": "Checked in", **_json(_ref(CheckInResult), RECORD_EXAMPLE)},
                "200": {
                    "description": "Already checked in: the existing record, already=true",
                    **_json(_ref(CheckInResult)),
                },
                **_errors(400, 404, 409, 422),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/checkouts"): {
            "operationId": "checkOut",
            "summary": "Check a volunteer out and credit the hours",
            "parameters": [ACTIVITY_ID],
            "requestBody": checkin_body,
            "responses": {
                "200": {
                    "description": "Checked out (already=true when it was done before)",
                    **_json(_ref(CheckInResult)),
                },
                **_errors(400, 404, 409, 422),
            },
        },
        ("get", "/api/v1/openapi.json"): {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", **_json({"type": "object"})}},
        },
    }


def rule_to_path(rule: str) -> str:
    """Flask ``/x/<int:id>`` → OpenAPI ``/x/{id}``."""
    out = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            part = "{" + part[1:-1].split(":")[-1] + "}"
        out.append(part)
    return "/".join(out)


def api_routes(url_map: Map) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the API blueprint serves."""
    routes = set()
    for rule in url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), rule_to_path(rule.rule)))
    return routes


def build_document(url_map: Map) -> dict:
    """The whole OpenAPI 3.1 document (only routes that exist are included)."""
    models = [Page[ActivityOut], Page[CheckInOut], ActivityOut, CheckInOut, CheckInResult,
              VolunteerRef, Error]  # fmt: skip
    _, schemas = models_json_schema(
        [(m, "validation" if m is VolunteerRef else "serialization") for m in models],
        ref_template=REF,
    )
    existing = api_routes(url_map)
    paths: dict[str, dict] = {}
    for (method, path), operation in operations().items():
        if (method, path) in existing:
            paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Volunteer activity log API",
            "version": "1.0.0",
            "description": "For kiosks, scanner apps and the district's other systems. "
            "Every call acts as one organizer, with exactly that organizer's scope.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas["$defs"],
        },
        "paths": paths,
    }
