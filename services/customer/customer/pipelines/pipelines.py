"""Pipelines are configuration stored in MongoDB, so an admin changes them at runtime.

The default pipeline (stages.DEFAULT_PIPELINE) is written on first start; an
admin may replace its stages or add pipelines. Customers keep their pipeline id.
"""
from __future__ import annotations

import copy

from crm_common import audit, concurrency
from crm_common.kernel.refusals import Invalid

from . import stages

DEFAULT_ID = "default"
# what crm.pipeline.changed carries of each stage: reporting's funnel and forecast weigh deals by them
PUBLISHED = ("key", "name", "expected_days", "expected_rate", "closes", "win_probability")


def ensure_default(rt) -> None:
    default = copy.deepcopy(stages.DEFAULT_PIPELINE)
    rt.db.pipelines.update_one({"_id": DEFAULT_ID}, {"$setOnInsert": {k: v for k, v in default.items() if k != "_id"}},
                               upsert=True)


def get(rt, pipeline_id: str, session=None) -> dict:
    pipeline = rt.db.pipelines.find_one({"_id": pipeline_id}, session=session)
    if pipeline is None:
        if pipeline_id == DEFAULT_ID:
            return copy.deepcopy(stages.DEFAULT_PIPELINE)  # before on_start ran in this database
        raise Invalid("no such pipeline", errors=[{"field": "pipeline_id", "message": "unknown"}])
    return pipeline


def version_of(pipeline: dict | None) -> int:
    """A pipeline's version, the ETag's number: 0 for one that does not exist yet (the default one, made at
    the first start, is version 1 until it is first replaced)."""
    return pipeline.get("version", 1) if pipeline else 0


def exists(rt, pipeline_id: str) -> bool:
    return pipeline_id == DEFAULT_ID or rt.db.pipelines.find_one({"_id": pipeline_id}, {"_id": 1}) is not None


def put(rt, pipeline_id: str, body: dict, expected: frozenset[int] | None = None) -> dict:
    """Create or replace a pipeline, if its version is one of `expected` (If-Match; None: any). Stages that
    customers are in now must stay."""
    errors = stages.validate_pipeline(body["stages"])
    keys = {s["key"] for s in body["stages"]}
    in_use = set(rt.db.customers.distinct("stage", {"pipeline_id": pipeline_id})) | set(
        rt.db.opportunities.distinct("stage", {"pipeline_id": pipeline_id}))
    errors += [{"field": "stages", "message": f"customers or opportunities are in stage {key!r}; keep it"}
               for key in sorted(set(in_use) - keys)]
    if errors:
        raise Invalid("the pipeline is not valid", errors=errors)
    if stages.FIRST_STAGE not in keys and pipeline_id == DEFAULT_ID:
        raise Invalid("the default pipeline keeps its first stage",
                      errors=[{"field": "stages", "message": f"{stages.FIRST_STAGE} is required"}])
    document = {"_id": pipeline_id, "name": body["name"], "stages": body["stages"]}

    def write(session):
        before = rt.db.pipelines.find_one({"_id": pipeline_id}, session=session)
        concurrency.check({"version": version_of(before)}, expected)
        document["version"] = version_of(before) + 1
        rt.db.pipelines.replace_one({"_id": pipeline_id}, document, upsert=True, session=session)
        audit.record(rt, session, "pipeline", pipeline_id, before, document)
        # reporting compares its funnel and forecast with these expectations
        rt.publish(session, rt.event("crm.pipeline.changed", pipeline_id, {
            "pipeline_id": pipeline_id, "name": body["name"], "changed_at": rt.clock.now().isoformat(),
            "stages": [{k: stage.get(k) for k in PUBLISHED} for stage in body["stages"]]}))
        return document
    return rt.transaction(write)  # in a retry whose reply was lost: the pipeline as that first attempt wrote it
