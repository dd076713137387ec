"""Security headers and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app

from marketplace.validators import bad_text

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["ENV_NAME"] == "production":
        # browsers that saw the site over HTTPS once never try plain HTTP again
        headers.setdefault("Strict-Transport-Security",
                           f"max-age={current_app.config['HSTS_MAX_AGE']}")
    if response.mimetype == "text/html" or response.mimetype == "application/json":
        headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a relative path on this site is followed; anything else goes to the default."""
    if not target:
        return default
    target = target.strip().replace("\\", "/")
    if bad_text(target, multiline=False):
        return default  # a CR or LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
