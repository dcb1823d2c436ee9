"""Rule previews: what proposed rules would reclaim now, on the pools blueprint (/v1/pools/<pool_id>/rules:preview)."""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.web import runtime

from ..pools.routes import blp
from . import preview
from .schemas import PreviewIn, PreviewOut


@blp.route("/<pool_id>/rules:preview", methods=["POST"])
@require_user()
@blp.arguments(PreviewIn)
@blp.response(200, PreviewOut)
def preview_rules(body, pool_id):
    """What the proposed rules would reclaim now, and when the others fall due; nothing moves."""
    return preview.preview(runtime(), pool_id, body["rules"], g.principal)
