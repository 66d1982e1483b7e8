"""Security headers on every response (set in one place, for pages, the API and downloads).

- Content-Security-Policy: scripts only from the app itself (no inline script, no CDN: the closed
  LGWAN has none anyway); no framing (clickjacking); forms post only to the app.
- X-Frame-Options / X-Content-Type-Options / Referrer-Policy for older browsers and proxies.
- Cache-Control: no-store on everything but the static assets: pages, API answers and downloads
  carry personal data, which must not stay in a shared PC's browser cache.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style attributes in a few templates and HTMX's indicator style
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
STATIC_PREFIX = "/static/"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: runs for every response, errors and static files included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ):
        if name not in headers:
            headers[name] = value
    if not scope.get("path", "").startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
