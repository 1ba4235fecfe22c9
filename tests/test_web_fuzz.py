"""API fuzzing: schemathesis generates requests from the OpenAPI schema; no 5xx, ever.

Bounded (a dozen examples per operation) so the suite stays fast; a token is sent so the
requests reach the handlers rather than stopping at sign-in.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from frankly import cases
from frankly.demo import load_demo
from frankly.store import Database
from frankly.web import auth, create_app

# The schema does not depend on the data: build it once to name the operations.
OPENAPI = create_app(Database("sqlite://")).openapi()
OPERATIONS = sorted(
    f"{method.upper()} {path}" for path, methods in OPENAPI["paths"].items() for method in methods
)


def test_the_schema_documents_the_api() -> None:
    assert "GET /api/v1/cases" in OPERATIONS
    assert "POST /api/v1/check" in OPERATIONS
    assert all(path.startswith("/api/v1/") for path in OPENAPI["paths"])
    for path, methods in OPENAPI["paths"].items():
        for method, spec in methods.items():
            assert {"401", "404", "422"} <= set(spec["responses"]), (method, path)


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_input_makes_the_api_fail(sqlite_db: Database, label: str) -> None:
    load_demo(sqlite_db)
    maria = cases.find_agent(sqlite_db, "maria@northwind.example")
    assert maria is not None
    _, token = auth.issue_token(sqlite_db, maria.id, "fuzz")
    app = create_app(sqlite_db)
    schema = schemathesis.openapi.from_dict(OPENAPI)
    schema.app = app
    operation = schema.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: object) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])  # type: ignore[attr-defined]

    fuzz()
