"""Every route refuses a visitor who is not logged in, whatever it is: a page sends them to the login
page, the API answers 401. The routes are read from the app itself, so a route added later without
a check fails here. (Only the login pages, static files and the OpenAPI document are open.)"""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.webclient import csrf_of

OPEN = re.compile(r"^/(login(/totp)?|static/.*|schema(/.*)?)$")
SAMPLE = {"int": "1", "str": "2026-01", "path": "x"}


def _url(path: str) -> str:
    def fill(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2)
        return "992011" if name == "code" else SAMPLE[kind]

    return re.sub(r"\{(\w+):(\w+)\}", fill, path)


def routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD") and not OPEN.match(route.path)
    )


def test_every_route_is_listed(app):
    found = routes(app)
    assert len(found) > 60  # the walk below sees the real app, not an empty list
    assert ("GET", "/households/{household_id:int}") in found and ("POST", "/admin/imports") in found


@pytest.mark.parametrize("anonymous_kind", ["no cookie", "pre-login cookie"])
def test_no_route_serves_a_visitor_who_is_not_logged_in(app, anonymous_kind):
    refused: list[tuple[str, str, int]] = []
    served: list[tuple[str, str, int]] = []
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text) if anonymous_kind == "pre-login cookie" else ""
        if anonymous_kind == "no cookie":
            client.cookies.clear()
        for method, path in routes(app):
            url = _url(path) + ("?q=x" if method == "GET" else "")  # a required query (search) given too
            kwargs = {"follow_redirects": False}
            if method != "GET":
                if url.startswith("/api/"):
                    kwargs["json"] = {}
                else:
                    kwargs["data"] = {"_csrf": token}
            response = client.request(method, url, **kwargs)
            status = response.status_code
            if url.startswith("/api/"):
                ok = status == 401
            elif method == "GET":
                ok = status in (302, 303) and response.headers["location"].startswith("/login")
            else:  # a form post: refused before anything is done (no token: 403; with one: to the login page)
                ok = status == 403 or (status in (302, 303) and response.headers["location"].startswith("/login"))
            (refused if ok else served).append((method, path, status))
    assert served == []
    assert len(refused) == len(routes(app))
