"""GET /link-preview: reads a page's title and Open Graph tags, with an SSRF guard."""

from __future__ import annotations

import pytest

from tests.support.servers import free_port
from tests.support.upstream import PAGE_DESCRIPTION, PAGE_IMAGE, PAGE_TITLE

from .client import field_errors, ok, problem


def preview(api, user, url):
    return api.get("/link-preview", user=user, params={"url": url})


def test_reads_title_and_open_graph_from_an_allowed_host(api, make_user, upstream):
    alice = make_user()
    url = f"http://{upstream['live']}/article"
    body = ok(preview(api, alice, url))
    assert body == {"url": url, "title": PAGE_TITLE, "description": PAGE_DESCRIPTION, "image": PAGE_IMAGE}


def test_needs_a_user(api, upstream):
    problem(api.get("/link-preview", params={"url": f"http://{upstream['live']}/article"}), 401)


@pytest.mark.parametrize("url", [
    "ftp://example.org/file.txt",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "not a url",
])
def test_only_http_and_https(api, make_user, url):
    assert "url" in field_errors(preview(api, make_user(), url))


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "10.0.0.1", "169.254.169.254",
                                  "[::1]:{port}", "192.168.1.1"])
def test_private_loopback_and_link_local_are_refused(api, make_user, host):
    url = f"http://{host.format(port=free_port())}/"
    assert "url" in field_errors(preview(api, make_user(), url))


def test_upstream_down_is_502(api, make_user, upstream):
    problem(preview(api, make_user(), f"http://{upstream['dead']}/article"), 502)


def test_upstream_404_is_502(api, make_user, upstream):
    problem(preview(api, make_user(), f"http://{upstream['live']}/missing"), 502)


def test_missing_url_is_refused(api, make_user):
    resp = api.get("/link-preview", user=make_user())
    assert resp.status_code in (400, 422), resp.text
    problem(resp, resp.status_code)


def test_a_page_larger_than_1_mib_is_read_only_in_part(api, make_user, upstream):
    body = ok(preview(api, make_user(), f"http://{upstream['live']}/huge"))
    assert body["title"] == PAGE_TITLE


def test_a_redirect_to_a_refused_address_is_not_followed(api, make_user, upstream):
    target = f"http://{upstream['private']}/article"   # same page, but its host:port is not allowed
    resp = preview(api, make_user(), f"http://{upstream['live']}/redirect?to={target}")
    assert resp.status_code in (422, 502), resp.text[:300]
    problem(resp, resp.status_code)


def test_a_redirect_to_an_allowed_address_is_followed(api, make_user, upstream):
    target = f"http://{upstream['live']}/article"
    resp = preview(api, make_user(), f"http://{upstream['live']}/redirect?to={target}")
    assert ok(resp)["title"] == PAGE_TITLE


@pytest.mark.slow
def test_a_slow_upstream_is_cut_off_with_502(api, make_user, upstream):
    resp = api.get("/link-preview", user=make_user(), params={"url": f"http://{upstream['live']}/slow"}, timeout=30)
    problem(resp, 502)
