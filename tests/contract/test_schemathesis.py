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
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.servers import Server, ServerUnavailable, Target, fresh_database, running_server

from .client import Forum, from_address
from .conftest import IN_CI, TARGETS

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
        if IN_CI:
            pytest.fail(f"{target} cannot start under CI: {exc}")
        pytest.skip(f"{target} cannot start here: {exc}")


@pytest.fixture(scope="module")
def fuzz_token(fuzz_server: Server) -> str:
    from .client import Api

    return Forum(Api(fuzz_server)).user()["token"]


@pytest.fixture(scope="module")
def openapi_schema(fuzz_server: Server):
    return schemathesis.openapi.from_url(fuzz_server.base_url + "/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("openapi_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_document(case, fuzz_server, fuzz_token):
    # a fresh client address per request, so per-address limits answer 429 rarely (and 429 is documented)
    headers = {"Authorization": f"Bearer {fuzz_token}", **from_address()}
    case.call_and_validate(base_url=fuzz_server.base_url, headers=headers, checks=CHECKS, timeout=30)
