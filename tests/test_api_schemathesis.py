"""Schemathesis walks the JSON API statefully: it opens customers and cases, writes to them,
drafts and approves messages, receives mail and reviews it, following the OpenAPI links
between the operations, and checks that no answer is a server error, that every status
code and content type is documented, and that error bodies have the documented shape.

Part of the "Hardening" probe suite (issue #14): any 500 found here is a bug. The run is
derandomized (the same sequence every time) and bounded, so it takes seconds, not minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frankly import accounts, cases
from frankly.demo import load_demo
from frankly.store import Database
from frankly.web import create_app

# Both walks share one app and database: keep them in one xdist worker.
pytestmark = pytest.mark.xdist_group("schemathesis")

# Which checks hold the API to its word. Left out on purpose: "positive data acceptance"
# (the schema cannot say "no control characters" or "a customer that exists", so a
# schema-valid body may rightly get 422) and "negative data rejection" (the API accepts
# some bodies the schema's types are stricter about, such as extra whitespace).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SETTINGS = hypothesis.settings(
    max_examples=25,
    stateful_step_count=10,
    derandomize=True,  # the same scenarios on every run: a failure reproduces
    deadline=None,  # the machine may be busy: no step is judged by its time
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.generate],
)

# OpenAPI links: what an answer gives the next call. (source operation, status) → targets,
# each (target operation, its parameters, filled from the source's answer).
CASE_ID = {"case_id": "$response.body#/id"}
CASE_OPERATIONS = (
    ("GetCase", "get_case_api_v1_cases__case_id__get"),
    ("RecordFacts", "record_facts_api_v1_cases__case_id__facts_post"),
    ("ChangeState", "change_state_api_v1_cases__case_id__state_post"),
    ("AddNote", "add_note_api_v1_cases__case_id__notes_post"),
    ("RecordMilestone", "record_milestone_api_v1_cases__case_id__milestones_post"),
    ("AddMessage", "add_message_api_v1_cases__case_id__messages_post"),
    ("ListRemedies", "list_remedies_api_v1_cases__case_id__remedies_get"),
    ("RecordRemedies", "record_remedies_api_v1_cases__case_id__remedies_post"),
    ("Draft", "draft_api_v1_cases__case_id__draft_post"),
    ("Events", "events_api_v1_cases__case_id__events_get"),
    ("Commitments", "commitments_api_v1_cases__case_id__commitments_get"),
)
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    # The demo's cases and customers: the first of a listing is a real one.
    ("list_cases_api_v1_cases_get", "200"): {
        name: (operation, {"case_id": "$response.body#/0/id"})
        for name, operation in CASE_OPERATIONS
    },
    ("list_customers_api_v1_customers_get", "200"): {
        "OpenCaseForListedCustomer": ("open_case_api_v1_cases_post", {}),
    },
    ("add_customer_api_v1_customers_post", "201"): {
        "OpenCaseForCustomer": ("open_case_api_v1_cases_post", {}),
        "GetCustomer": (
            "get_customer_api_v1_customers__customer_id__get",
            {"customer_id": "$response.body#/id"},
        ),
    },
    ("open_case_api_v1_cases_post", "201"): {
        name: (operation, CASE_ID) for name, operation in CASE_OPERATIONS
    },
    ("add_message_api_v1_cases__case_id__messages_post", "201"): {
        "Approve": (
            "approve_message_api_v1_messages__message_id__approve_post",
            {"message_id": "$response.body#/id"},
        ),
        "CaseMessages": (
            "messages_api_v1_cases__case_id__messages_get",
            {"case_id": "$response.body#/case_id"},
        ),
    },
    ("inbound_api_v1_inbound_post", "201"): {
        "AcceptHeld": (
            "api_accept_api_v1_inbound_review__review_id__accept_post",
            {"review_id": "$response.body#/review_id"},
        ),
        "RejectHeld": (
            "api_reject_api_v1_inbound_review__review_id__reject_post",
            {"review_id": "$response.body#/review_id"},
        ),
    },
}


def with_links(raw: dict[str, Any]) -> dict[str, Any]:
    """The app's OpenAPI document with the links above added to its operations."""
    operations = {
        operation["operationId"]: operation
        for path in raw["paths"].values()
        for operation in path.values()
    }
    for (source, status), targets in LINKS.items():
        response = operations[source]["responses"][status]
        response["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in targets.items()
        }
        for target, _ in targets.values():
            assert target in operations, target
    # A case is opened for the customer just made, or the first one listed; the rest of
    # the body is generated (merged with these fields).
    for source, link, customer in (
        ("add_customer_api_v1_customers_post", "OpenCaseForCustomer", "$response.body#/id"),
        (
            "list_customers_api_v1_customers_get",
            "OpenCaseForListedCustomer",
            "$response.body#/0/id",
        ),
    ):
        status = "201" if source.startswith("add") else "200"
        operations[source]["responses"][status]["links"][link]["requestBody"] = {
            "customer_id": customer,
            "kind": "late_delivery",
        }
    return raw


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Any, str]]:
    folder = tmp_path_factory.mktemp("schemathesis")
    db = Database(f"sqlite:///{folder / 'frankly.db'}")
    db.upgrade()
    load_demo(db)
    maria = cases.find_agent(db, "maria@northwind.example")  # a manager: writes every case
    assert maria is not None
    _, token = accounts.issue_token(db, maria.id, "schemathesis", scope="write")
    yield db, create_app(db), token
    db.dispose()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_api_survives_a_stateful_walk(api: tuple[Database, Any, str], mode: str) -> None:
    """Stateful schemathesis against /api/v1: no 500, only documented statuses and shapes.

    Positive: bodies the schema allows, so the walk opens cases and works on them.
    Negative: bodies it does not, which must get a 4xx naming the problem, never a 500.
    """
    _, app, token = api
    schema = schemathesis.openapi.from_dict(with_links(app.openapi()))
    schema.app = app
    schema.config.update(headers={"Authorization": f"Bearer {token}"})
    schema.config.generation.update(modes=[schemathesis.GenerationMode(mode)])
    seen: Counter[tuple[str, str, int]] = Counter()

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            seen[(case.method, case.path, response.status_code)] += 1
            case.validate_response(response, checks=CHECKS)

    Walk.run(settings=SETTINGS)
    if mode == "negative":
        assert any(status == 422 for (_, _, status) in seen), seen
        return
    # The walk went past the front door: it made things and then used them.
    made = {path for (method, path, status) in seen if method == "POST" and status == 201}
    assert "/api/v1/customers" in made, seen
    assert "/api/v1/cases" in made, seen
    used = {path for (_, path, status) in seen if "{case_id}" in path and status < 300}
    assert used, seen
