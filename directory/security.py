"""Security headers, including a Content-Security-Policy the pages and maps satisfy.

Scripts and styles come from the app itself; the one inline script per map carries the
request's nonce. Map tiles may come from the configured tile server.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

from directory.maps import tile_origin


def csp_nonce() -> str:
    """This request's nonce for inline scripts (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def register(app: Flask) -> None:
    """Add the nonce to templates and the headers to every response."""
    app.add_template_global(csp_nonce, "csp_nonce")

    @app.after_request
    def security_headers(response: Response) -> Response:
        img = "'self' data:"
        origin = tile_origin(app.config["MAP_TILES_URL"])
        if origin:
            img += f" {origin}"
        policy = "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{csp_nonce()}'",
                "style-src 'self'",
                f"img-src {img}",
                "font-src 'self'",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            )
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), camera=(), microphone=()"
        )
        return response
