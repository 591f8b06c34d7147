"""The OpenAPI 3.1 document, built from the route table and the pydantic models.

Schemas come from the same models that validate requests and shape responses, and
``tests/api/test_openapi.py`` checks that every API route is documented and nothing else,
so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema
from werkzeug.routing import Map

from volunteer_app.api.schemas import (
    ActivityOut,
    CheckInOut,
    CheckInResult,
    CloseResult,
    Confirmation,
    ConfirmResult,
    Error,
    HoursAdjustment,
    HoursPage,
    HoursResult,
    NeedDetailOut,
    NeedOut,
    NeedPage,
    NeedStep,
    Page,
    SelfScan,
    SelfScanResult,
    TeamMemberOut,
    TeamMemberPage,
    TeamOut,
    TeamPage,
    VolunteerRef,
)
from volunteer_app.needs.models import NeedStatus
from volunteer_app.params import ID_MAX, YEARS

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
    "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
}
CHECKIN_ID = {**ACTIVITY_ID, "name": "checkin_id"}
TEAM_ID = {**ACTIVITY_ID, "name": "team_id"}
NEED_ID = {**ACTIVITY_ID, "name": "need_id"}
NEED_EXAMPLE = {
    "id": 7, "title": "上门为独居老人测血压", "status": "dispatched", "station_id": 4,
    "station": "万福社区卫生服务中心", "unit_id": 4, "category": "health",
    "created_at": "2027-03-01T01:00:00Z", "changed_at": "2027-03-01T03:00:00Z",
    "due_at": "2027-03-03T03:00:00Z", "overdue": False, "handled_here": True, "proxy": False,
    "contact_name": "张桂芝", "contact_phone": "13900002001",
    "address": "万福街道幸福小区3号楼2单元501", "team_id": 3, "activity_id": None,
}  # fmt: skip
TEAM_EXAMPLE = {
    "id": 3, "name": "万福社区卫生服务中心医护志愿服务队", "unit_id": 4,
    "unit": "万福社区卫生服务中心", "kind": "1", "host_type": "03",
    "host_name": "万福社区卫生服务中心", "categories": ["health"], "contact_name": "王医生",
    "contact_phone": "138****2001", "intro": "为居民测血压、测血糖，普及健康知识。",
    "join_mode": "1", "active": True, "members": 3,
}  # fmt: skip
MEMBER_EXAMPLE = {
    "volunteer_id": 42, "name": "李秀英", "phone": "138****1001", "is_leader": True,
    "joined_at": "2021-02-20T01:00:00Z", "confirmed_minutes": 180, "confirmed_hours": 3.0,
}  # fmt: skip
#: A local calendar day in the years the app accepts (params.YEARS); else a 400.
DATE = {
    "type": "string",
    "format": "date",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "description": f"YYYY-MM-DD, in the years {YEARS[0]}–{YEARS[1]}",
}
#: Every path answers another method with 405 and the methods it has in ``Allow``.
METHOD_NOT_ALLOWED = {
    "description": "Method not allowed on this path: the Allow header lists the methods it has",
    "headers": {"Allow": {"schema": {"type": "string"}, "example": "GET, HEAD, OPTIONS"}},
}
#: Request models (validated as input); the others are responses.
INPUT_MODELS = (VolunteerRef, HoursAdjustment, Confirmation, SelfScan, NeedStep)


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict, example: Any = None) -> dict:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"content": {"application/json": content}}


def _errors(*codes: int, **descriptions: str) -> dict:
    texts = {
        400: "Bad request (invalid JSON or parameter)",
        401: "Missing, unknown or revoked token",
        404: "Not found, or not in the caller's scope",
        409: "Refused by a rule (closed, cancelled, not ended, not checked in …)",
        422: "The body does not match the schema",
        429: "Rate limit exceeded",
    }
    texts.update({int(code[1:]): text for code, text in descriptions.items()})
    return {
        **{
            str(code): {"description": texts[code], **_json(_ref(Error))}
            for code in (401, 429, *codes)
        },
        "405": {**METHOD_NOT_ALLOWED, **_json(_ref(Error))},
    }


#: Whom an organizer's check-in or check-out by card or phone reaches (auth.scoping).
VOLUNTEER_SCOPE = (
    "Only the caller's own volunteers (registered through one of their units, or who came to "
    "one of their activities themselves), and anyone who already has a record at this "
    "activity. Anyone else is answered as an unknown card (404 volunteer_not_found) or an "
    "unknown number (422 name_required / consent_required; with a name and consent 409 "
    "number_taken, as for any number already registered)."
)
VOLUNTEER_EXAMPLES = {
    "walk-in": {"value": {"phone": "13812341234", "name": "李秀英", "consent": True}},
    "card": {"value": {"card": "2cR5tYb8Qw1nX0zKp3.Vd4sF7hJk2Lq9w"}},
}
RECORD_EXAMPLE = {
    "id": 7, "volunteer_id": 42, "name": "李秀英", "phone": "138****1234",
    "checked_in_at": "2021-03-05T00:25:00Z", "checked_out_at": None, "minutes": 0,
    "hours": 0.0, "origin": "organizer", "status": "pending", "already": False,
}  # fmt: skip
HOURS_EXAMPLE = {
    "id": 7, "volunteer_id": 42, "name": "李秀英", "phone": "138****1234",
    "checked_in_at": "2021-03-05T00:25:00Z", "checked_out_at": "2021-03-05T03:00:00Z",
    "minutes": 0, "hours": 0.0, "origin": "scan", "status": "pending", "needs_review": True,
}  # fmt: skip
SCAN_EXAMPLES = {
    "remembered device (Authorization: Device <key>)": {
        "value": {"token": "s9.Xb3kP0oQ5aVn8cT1yR2uE7wIzHs"}
    },
    "known number on a kiosk": {
        "value": {"token": "r9.1843221.kP3xQ0v", "phone": "13812341234", "pin": "2580"}
    },
    "first registration on the volunteer's own phone": {
        "value": {
            "token": "https://zyz.example.cn/c/s9.Xb3kP0oQ5aVn8cT1yR2uE7wIzHs",
            "phone": "13900001111", "pin": "8264", "name": "刘洋", "consent": True,
            "remember": True,
        }
    },
}  # fmt: skip
SCAN_RESULT_EXAMPLE = {
    "id": 17, "activity_id": 9, "activity": "学雷锋义诊", "name": "刘洋",
    "phone": "139****1111", "checked_in_at": "2026-11-26T07:31:05Z", "checked_out_at": None,
    "minutes": 0, "hours": 0.0, "status": "pending", "already": False,
    "device_key": "Qm9w3v3a7Jk0b2yQ1r8sT5uVx6Wz4A1c", "choose_pin": False,
}  # fmt: skip


EMPTY_BODY = {
    "required": False,
    "content": {"application/json": {"schema": _ref(Confirmation), "example": {}}},
}


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
                    "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
                },
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": ["draft", "published", "finished", "cancelled"]},
                },
                {"name": "date_from", "in": "query", "schema": DATE},
                {"name": "date_to", "in": "query", "schema": DATE},
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
            "summary": "Check a volunteer in on the organizer's behalf (by card, or by phone; a "
            "new phone needs a name and consent=true); audited as the desk page's check-ins",
            "description": VOLUNTEER_SCOPE,
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
            "summary": "Check a volunteer out on the organizer's behalf and credit the hours "
            "(origin organizer; audited as the desk page's check-outs)",
            "description": VOLUNTEER_SCOPE,
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
        ("get", "/api/v1/activities/{activity_id}/hours"): {
            "operationId": "listHours",
            "summary": "Hours of an activity for review, in arrival order, with what blocks "
            "confirmation",
            "parameters": [ACTIVITY_ID, *PAGE_PARAMS],
            "responses": {
                "200": {
                    "description": "A page, and the counts of the whole activity",
                    **_json(
                        _ref(HoursPage),
                        {
                            "items": [HOURS_EXAMPLE],
                            "total": 1,
                            "page": 1,
                            "per_page": 50,
                            "summary": {"open": 0, "needs_review": 1, "pending": 1},
                        },
                    ),
                },
                **_errors(400, 404),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/hours/{checkin_id}"): {
            "operationId": "adjustHours",
            "summary": "Set one record's hours with a reason (audited; the hours become the "
            "organizer's and the review mark is cleared)",
            "parameters": [ACTIVITY_ID, CHECKIN_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _ref(HoursAdjustment),
                        "example": {"hours": 2.5, "reason": "忘记签退，现场核实服务到结束"},
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The record (changed=false when it already had these hours)",
                    **_json(
                        _ref(HoursResult),
                        {
                            **HOURS_EXAMPLE,
                            "minutes": 150,
                            "hours": 2.5,
                            "origin": "organizer",
                            "needs_review": False,
                            "changed": True,
                        },
                    ),
                },
                **_errors(
                    400,
                    404,
                    409,
                    422,
                    _422="Invalid body, or hours not in steps of 0.5 / longer than the "
                    "activity, or no reason",
                ),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/hours/{checkin_id}/keep"): {
            "operationId": "keepHours",
            "summary": "Clear one record's review mark, keeping its hours (audited)",
            "parameters": [ACTIVITY_ID, CHECKIN_ID],
            "requestBody": EMPTY_BODY,
            "responses": {
                "200": {
                    "description": "The record (changed=false when it was not marked)",
                    **_json(_ref(HoursResult)),
                },
                **_errors(400, 404, 409, 422),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/hours/close"): {
            "operationId": "closeOpenCheckins",
            "summary": "Close the open check-ins of an ended activity at its end time "
            "(0 h, marked for review; audited)",
            "parameters": [ACTIVITY_ID],
            "requestBody": EMPTY_BODY,
            "responses": {
                "200": {
                    "description": "How many were closed (0 on a repeat)",
                    **_json(
                        _ref(CloseResult),
                        {
                            "activity_id": 9,
                            "closed": 2,
                            "message": "已关闭 2 条未签退记录，已标记为待复核。",
                        },
                    ),
                },
                **_errors(400, 404, 409, 422),
            },
        },
        ("post", "/api/v1/activities/{activity_id}/hours/confirm"): {
            "operationId": "confirmHours",
            "summary": "Confirm all pending hours of an ended activity (志愿服务时长确认)",
            "description": "Refused (409) while records are open or marked for review. A repeat "
            "after everything is confirmed answers 200 with already=true.",
            "parameters": [ACTIVITY_ID],
            "requestBody": EMPTY_BODY,
            "responses": {
                "200": {
                    "description": "Confirmed, or already confirmed before",
                    **_json(
                        _ref(ConfirmResult),
                        {
                            "activity_id": 9,
                            "status": "finished",
                            "confirmed": 3,
                            "already": False,
                            "message": "已确认 3 名志愿者的服务时长。",
                        },
                    ),
                },
                **_errors(400, 404, 409, 422),
            },
        },
        ("post", "/api/v1/checkin"): _self_scan_operation(
            "selfCheckIn",
            "A volunteer checks in with the activity's QR token (no organizer token)",
            {
                "201": {
                    "description": "Checked in",
                    **_json(_ref(SelfScanResult), SCAN_RESULT_EXAMPLE),
                },
                "200": {
                    "description": "Already checked in: the existing record, already=true",
                    **_json(_ref(SelfScanResult)),
                },
            },
        ),
        ("post", "/api/v1/checkout"): _self_scan_operation(
            "selfCheckOut",
            "A volunteer checks out with the activity's QR token and is credited the hours",
            {
                "200": {
                    "description": "Checked out (already=true when it was done before)",
                    **_json(_ref(SelfScanResult)),
                },
            },
        ),
        ("get", "/api/v1/teams"): {
            "operationId": "listTeams",
            "summary": "Volunteer teams of the caller's units, by name",
            "parameters": [
                *PAGE_PARAMS,
                {
                    "name": "unit",
                    "in": "query",
                    "description": "Only the teams of this unit (none if it is not the caller's).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
                },
            ],
            "responses": {
                "200": {
                    "description": "A page",
                    **_json(
                        _ref(TeamPage),
                        {"items": [TEAM_EXAMPLE], "total": 1, "page": 1, "per_page": 50},
                    ),
                },
                **_errors(400),
            },
        },
        ("get", "/api/v1/teams/{team_id}"): {
            "operationId": "getTeam",
            "summary": "One team of the caller's units",
            "parameters": [TEAM_ID],
            "responses": {
                "200": {"description": "The team", **_json(_ref(TeamOut), TEAM_EXAMPLE)},
                **_errors(404),
            },
        },
        ("get", "/api/v1/teams/{team_id}/members"): {
            "operationId": "listTeamMembers",
            "summary": "Active members of a team, leaders first (phones masked), with their "
            "confirmed hours at the team's activities",
            "parameters": [TEAM_ID, *PAGE_PARAMS],
            "responses": {
                "200": {
                    "description": "A page",
                    **_json(
                        _ref(TeamMemberPage),
                        {"items": [MEMBER_EXAMPLE], "total": 1, "page": 1, "per_page": 50},
                    ),
                },
                **_errors(400, 404),
            },
        },
        ("get", "/api/v1/needs"): {
            "operationId": "listNeeds",
            "summary": "Residents' orders of the caller's units (held or placed there), latest "
            "change first",
            "parameters": [
                *PAGE_PARAMS,
                {
                    "name": "status",
                    "in": "query",
                    "description": "Only the orders in this status.",
                    "schema": {"type": "string", "enum": [s.value for s in NeedStatus]},
                },
            ],
            "responses": {
                "200": {
                    "description": "A page",
                    **_json(
                        _ref(NeedPage),
                        {"items": [NEED_EXAMPLE], "total": 1, "page": 1, "per_page": 50},
                    ),
                },
                **_errors(400),
            },
        },
        ("get", "/api/v1/needs/{need_id}"): {
            "operationId": "getNeed",
            "summary": "One order with its log; the full number and the address only for the "
            "organizers of the unit holding it",
            "parameters": [NEED_ID],
            "responses": {
                "200": {"description": "The order", **_json(_ref(NeedDetailOut))},
                **_errors(404),
            },
        },
        ("post", "/api/v1/needs/{need_id}/steps"): {
            "operationId": "takeNeedStep",
            "summary": "Take a step on an order the caller's unit holds: accept, reject, "
            "escalate, dispatch (to one of the caller's teams), take, decline or complete",
            "parameters": [NEED_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _ref(NeedStep),
                        "example": {"step": "dispatch", "team_id": 3, "hours": 48},
                    }
                },
            },
            "responses": {
                "200": {"description": "The order after the step", **_json(_ref(NeedDetailOut))},
                **_errors(400, 404, 409, 422),
            },
        },
        ("get", "/api/v1/openapi.json"): {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", **_json({"type": "object"})},
                "405": {**METHOD_NOT_ALLOWED, **_json(_ref(Error))},
            },
        },
    }


def _self_scan_operation(operation_id: str, summary: str, responses: dict) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": "For kiosk and scanner apps. A remembered device sends "
        "`Authorization: Device <key>`; otherwise give phone and PIN (a new number also "
        "name and consent, and chooses its PIN). Five wrong PINs lock the number for 15 "
        "minutes; an unknown number and a wrong PIN get the same answer. Limited per "
        "address (API_ANONYMOUS_RATE_LIMIT, PIN_RATE_LIMIT).",
        "security": [{"device": []}, {}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(SelfScan), "examples": SCAN_EXAMPLES}},
        },
        "responses": {
            **responses,
            **_errors(
                400, 409, 422,
                _400="Invalid JSON, QR code invalid or expired, bad number, name or new PIN",
                _401="Number and PIN do not match, or the device key is unknown or signed out",
                _429="Rate limit exceeded, or this number is locked after wrong PINs",
            ),
        },
    }  # fmt: skip


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
              HoursPage, HoursResult, ConfirmResult, CloseResult, SelfScanResult,
              TeamPage, TeamOut, TeamMemberPage, TeamMemberOut,
              NeedPage, NeedOut, NeedDetailOut, *INPUT_MODELS,
              Error]  # fmt: skip
    _, schemas = models_json_schema(
        [(m, "validation" if m in INPUT_MODELS else "serialization") for m in models],
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
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "device": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "'Device <key>': the key a volunteer's device was given "
                    "by a check-in with remember=true.",
                },
            },
            "schemas": schemas["$defs"],
        },
        "paths": paths,
    }
