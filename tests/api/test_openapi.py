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
