"""Security headers on every response, and the docs page's assets served locally.

Wiring (crm_common/web.py, create_base_app): `app.after_request(headers.secure)` and
`headers.serve_docs_assets(app)` before the Api is built.
"""
from __future__ import annotations

import os

from flask import Flask, Response, request, send_from_directory

TOKEN_PATHS = ("/v1/auth/token",)
DOCS_ASSETS = "/docs-assets/"


def secure(response: Response) -> Response:
    # A browser must not guess a JSON body into HTML or a script.
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.path in TOKEN_PATHS or (response.is_json and "access_token" in (response.get_json(silent=True) or {})):
        response.headers["Cache-Control"] = "no-store"  # a token must not stay in any cache
        response.headers["Pragma"] = "no-cache"
    return response


def serve_docs_assets(app: Flask) -> None:
    """Swagger UI from the pinned swagger-ui-bundle package instead of a CDN."""
    import swagger_ui_bundle

    folder = swagger_ui_bundle.swagger_ui_path
    app.config["OPENAPI_SWAGGER_UI_URL"] = DOCS_ASSETS
    app.add_url_rule(DOCS_ASSETS + "<path:name>", "docs_assets",
                     lambda name: send_from_directory(os.fspath(folder), name, max_age=86400))
