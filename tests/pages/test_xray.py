"""The X-ray pages in Chromium: the same request sent to both apps, then watched on each.

Both flavours run with FORUM_DEBUG. One API request, named with the same ``X-Request-Id``, goes to
each; a person then opens the forum, follows the footer's X-ray link to the recent requests, and
from there to that request: its effects in order, the queries' SQL without their parameters, and
the runner that drove them. Screenshots land in /tmp (``forum-xray-<flavour>.png``) for a human.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

from .test_browser import User

FLAVOURS = {"tornado": "Tornado: run_async", "wsgi-container": "Flask: run_sync"}


@pytest.fixture(scope="module", params=list(FLAVOURS))
def debug_site(request: pytest.FixtureRequest) -> Iterator[Server]:
    try:
        with fresh_database("sqlite") as url, running_server(request.param, url, extra_env={"FORUM_DEBUG": "true"}) \
                as server:
            yield server
    except ServerUnavailable as exc:
        missing_service(f"the {request.param}:sqlite server", exc)


def test_one_request_watched_in_the_browser(debug_site: Server, chromium: Any) -> None:
    request_id = "same-" + secrets.token_hex(4)
    secret_query = "needle" + secrets.token_hex(3)
    answer = requests.get(debug_site.base_url + "/api/v1/groups", params={"q": secret_query},
                          headers={"X-Request-Id": request_id}, timeout=10)
    assert answer.status_code == 200 and "Server-Timing" in answer.headers

    person = User(chromium, debug_site.base_url)
    person.open("/")
    person.press("#nav-xray")
    listed = [link for link in chromium.find_elements(By.CSS_SELECTOR, "#xray-requests a")
              if link.get_attribute("href").endswith("/debug/requests/" + request_id)]
    assert listed, chromium.page_source[:2000]
    person.press(f'#xray-requests a[href="/debug/requests/{request_id}"]')

    assert person.text("h1") == "X-ray: GET /api/v1/groups"
    assert FLAVOURS[debug_site.flavour] in person.text("#xray-runner")
    rows = chromium.find_elements(By.CSS_SELECTOR, "#xray-steps tbody tr")
    kinds = [row.find_elements(By.TAG_NAME, "td")[2].text for row in rows]
    assert kinds[:2] == ["Transaction", "Query"], kinds
    sql = person.text("#xray-steps tr.query code")
    assert sql.startswith("SELECT") and "%s" in sql and secret_query not in chromium.page_source
    chromium.save_screenshot(f"/tmp/forum-xray-{debug_site.flavour}.png")
