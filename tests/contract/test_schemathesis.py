"""Property-based fuzzing from the forum's own OpenAPI document (RELIABILITY 39).

Schemathesis generates valid and invalid requests for every operation the document lists; each
answer must not be a 5xx and must match what the document says (status, content type, headers,
body schema). Bounded, so it finishes in minutes: a few dozen examples per operation.

It runs on its own servers (one Tornado, one Flask target, when selected in FORUM_CONTRACT_TARGETS),
because fuzzing fills the database with junk the other contract tests should not see.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.servers import Server, ServerUnavailable, Target, fresh_database, running_server
from tests.support.services import missing_service

from .client import Forum, from_address
from .conftest import TARGETS

FUZZ_TARGETS = [t for t in TARGETS if str(t) in ("tornado:sqlite", "gunicorn:sqlite")] or TARGETS[:1]
MAX_EXAMPLES = int(os.environ.get("FORUM_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module", params=FUZZ_TARGETS, ids=str)
def fuzz_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    target: Target = request.param
    try:
        with fresh_database(target.database) as url, running_server(target.flavour, url) as srv:
            yield srv
    except ServerUnavailable as exc:
        missing_service(f"the {target} server", exc)


@pytest.fixture(scope="module")
def fuzz_token(fuzz_server: Server) -> str:
    from .client import Api

    return Forum(Api(fuzz_server)).user()["token"]


def fuzz_operation(operation, mode, base_url: str, headers: dict[str, str]) -> str | None:
    """Run one operation's generated cases; the first failure as text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(base_url=base_url, headers={**headers, **from_address()}, checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        return None
    except Exception as exc:  # a check failure (or a group of them): report it with the operation's name
        return f"{operation.label} [{mode}]: {exc}"[:3000]
    return None


@pytest.mark.slow
def test_no_server_errors_and_answers_match_the_document(fuzz_server, fuzz_token):
    # schemathesis' own pytest plugin (schema.parametrize / from_fixture) breaks on pytest 9's nodes,
    # so the operations are driven here with Hypothesis directly: the same strategies and checks.
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/events":   # an endless text/event-stream: tests/realtime/test_events.py
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = fuzz_operation(operation, mode, fuzz_server.base_url, headers)
            if failure:
                failures.append(failure)
    assert failures == [], f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
