"""Headers every response carries: what the browser may load and run, framing, sniffing, referrers,
HTTPS pinning and caching of private pages."""
from __future__ import annotations

from flask import Flask, Response, request

#: scripts and styles only from our own files (no inline script, no CDN); nothing may frame the site
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

#: pages that show exam content, answers, marking or people's records: never stored by a browser or proxy
PRIVATE_BLUEPRINTS = frozenset({"trainee", "learning", "trainer", "bank", "rules", "hr", "hr_overview", "hr_facts",
                                "sittings", "admin", "account", "api", "auth", "analysis"})


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):  # served over HTTPS: browsers should stay on it
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.blueprint in PRIVATE_BLUEPRINTS:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response
