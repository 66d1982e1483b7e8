"""Test helpers for driving the app over HTTP like a browser would."""

from __future__ import annotations

import re

import pyotp
from litestar.testing import TestClient

CSRF_PATTERN = re.compile(r'name="_csrf" value="([^"]+)"')
SESSION_COOKIE = "vs_session"


def csrf_of(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str, *, totp_secret: str | None = None):
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "_csrf": csrf_of(page.text)}, follow_redirects=False
    )
    if response.status_code == 302 and response.headers["location"].startswith("/login/totp"):
        form = client.get("/login/totp")
        if totp_secret is None:
            totp_secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', form.text).group(1)
        response = client.post(
            "/login/totp",
            data={"code": pyotp.TOTP(totp_secret).now(), "_csrf": csrf_of(form.text)},
            follow_redirects=False,
        )
    return response


def select(client: TestClient, municipality_code: str, disaster_number: str = ""):
    page = client.get("/select")
    return client.post(
        "/select",
        data={"municipality": municipality_code, "disaster": disaster_number, "_csrf": csrf_of(page.text)},
        follow_redirects=False,
    )


def post_form(client: TestClient, form_url: str, action: str, data: dict, **kwargs):
    """Open a page with a form (to get its CSRF token) and post to the action."""
    page = client.get(form_url)
    return client.post(action, data={**data, "_csrf": csrf_of(page.text)}, follow_redirects=False, **kwargs)
