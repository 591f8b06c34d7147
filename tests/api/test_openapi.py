"""The OpenAPI document matches the routes, and schemathesis finds no 500 or schema mismatch."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from volunteer_app.api.openapi import api_routes


def test_every_api_route_is_documented_and_nothing_else(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert documented == api_routes(app.url_map)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert "429" in operation["responses"] or path.endswith("openapi.json")


def test_openapi_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_api_conforms_to_its_schema(app, api):
    """Generated requests (valid token) for every operation: never a 500, responses match.

    Driven through schemathesis' Python API (one hypothesis run per operation) because its
    pytest plugin does not support this pytest version. "Schema-valid data is accepted" is
    not checked: a well-formed but unknown card or a non-mobile number is refused by the
    business rules with a documented 4xx, as it should be.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=api.headers, excluded_checks=[positive_data_acceptance])

        run()


def test_every_example_matches_its_schema(client):
    """Examples are hand-written: check each against the schema it illustrates."""
    import json

    import jsonschema_rs

    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    checked = 0

    def validate(schema: dict, example) -> None:
        text = json.dumps({**schema, "$defs": components}).replace(
            "#/components/schemas/", "#/$defs/"
        )
        jsonschema_rs.validator_for(json.loads(text)).validate(example)

    for operations in document["paths"].values():
        for operation in operations.values():
            contents = [r.get("content", {}) for r in operation["responses"].values()]
            contents.append(operation.get("requestBody", {}).get("content", {}))
            for content in contents:
                media = content.get("application/json", {})
                examples = [e["value"] for e in media.get("examples", {}).values()]
                examples += [media["example"]] if "example" in media else []
                for example in examples:
                    validate(media["schema"], example)
                    checked += 1
    assert checked >= 12


def test_every_operation_documents_405_with_allow(client):
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"]["405"]
            assert "Allow" in answer["headers"], (method, path)


def test_documented_constraints_are_the_validators(app, client, api):
    """What the document promises is what the code accepts: the id range of the URL
    converter, the paging and date limits of the query, the phone pattern and the name
    length of the identity rules; each limit probed on both sides where a request can."""
    from volunteer_app.params import ID_MAX, YEARS
    from volunteer_app.volunteers.rules import (
        MOBILE_PATTERN,
        NAME_MAX_LENGTH,
        VolunteerError,
        normalize_name,
        normalize_phone,
    )

    document = client.get("/api/v1/openapi.json").json
    params = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                params.setdefault(param["name"], param["schema"])
    for name in ("activity_id", "checkin_id", "station_id"):
        assert (params[name]["minimum"], params[name]["maximum"]) == (1, ID_MAX), name
    assert app.url_map.converters["int"](app.url_map).max == ID_MAX
    get = lambda query: client.get(f"/api/v1/activities?{query}", headers=api.headers)  # noqa: E731
    for name in ("page", "per_page", "station_id"):
        low, high = params[name]["minimum"], params[name]["maximum"]
        assert get(f"{name}={low}").status_code == 200, name
        assert get(f"{name}={high}").status_code == 200, name
        assert get(f"{name}={low - 1}").status_code == 400, name
        assert get(f"{name}={high + 1}").status_code == 400, name
    assert client.get(f"/api/v1/activities/{ID_MAX}", headers=api.headers).status_code == 404
    for name in ("date_from", "date_to"):
        assert str(YEARS[0]) in params[name]["description"], name
        assert get(f"{name}={YEARS[0]}-01-01").status_code == 200
        assert get(f"{name}={YEARS[1]}-12-31").status_code == 200
        assert get(f"{name}={YEARS[0] - 1}-12-31").status_code == 400
        assert get(f"{name}={YEARS[1] + 1}-01-01").status_code == 400

    schemas = document["components"]["schemas"]
    for model in ("VolunteerRef", "SelfScan"):
        fields = schemas[model]["properties"]
        phone = next(s for s in fields["phone"]["anyOf"] if s.get("type") == "string")
        assert fields["phone"]["x-normalized-pattern"] == MOBILE_PATTERN, model
        assert phone["maxLength"] >= len("+86 138-1234-1234")
        name = next(s for s in fields["name"]["anyOf"] if s.get("type") == "string")
        assert name["maxLength"] == NAME_MAX_LENGTH, model
    assert normalize_phone("+86 138-1234-1234") == "13812341234"
    assert normalize_name("名" * NAME_MAX_LENGTH)
    try:
        normalize_name("名" * (NAME_MAX_LENGTH + 1))
    except VolunteerError:
        pass
    else:
        raise AssertionError("a name longer than documented was accepted")
    too_long = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins",
        json={"phone": "13900001111", "name": "名" * (NAME_MAX_LENGTH + 1), "consent": True},
        headers=api.headers,
    )
    assert too_long.status_code == 422 and "name" in too_long.json["error"]["message"]
