"""Pipeline configuration: list, read, and (admin) create or replace a pipeline.

These routes belong to the `bulk` blueprint of imports/routes.py, after its CSV routes, as they always
have: one tag in the OpenAPI document ("CSV import and export; pipelines") and the same order of paths.
"""
from __future__ import annotations

from crm_common import concurrency
from crm_common.idempotency import idempotent
from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.web import runtime

from ..imports.routes import blp
from . import pipelines
from .schemas import PipelineIn, PipelineOut


@blp.route("/pipelines", methods=["GET"])
@require_user()
@blp.response(200, PipelineOut(many=True))
def list_pipelines():
    return list(runtime().db.pipelines.find().sort("_id", 1))


@blp.route("/pipelines/<pipeline_id>", methods=["GET"])
@require_user()
@blp.response(200, PipelineOut)
def get_pipeline(pipeline_id):
    pipeline = runtime().db.pipelines.find_one({"_id": pipeline_id})
    if pipeline is None:
        raise NotFound("no such pipeline")
    return pipeline, 200, {"ETag": concurrency.etag(pipelines.version_of(pipeline))}


@blp.route("/pipelines/<pipeline_id>", methods=["PUT"])
@require_user("admin")
@idempotent
@concurrency.documented(required=False, when="Needed to replace a pipeline that exists, the default one included. ")
@blp.arguments(PipelineIn)
@blp.response(200, PipelineOut)
def put_pipeline(body, pipeline_id):
    """Create or replace a pipeline: stages, exit conditions, expected days and rates, entry actions.
    Creating one needs no If-Match; replacing one (the default included) needs the ETag last read."""
    rt = runtime()
    expected = concurrency.expected_versions(required=pipelines.exists(rt, pipeline_id))
    saved = pipelines.put(rt, pipeline_id, body, expected)
    return saved, 200, {"ETag": concurrency.etag(saved["version"])}
