"""The leads API, taking leads in: a channel submits one lead or a batch, a manager imports a CSV.

This opens the leads blueprint; the routes that work leads follow it (leads/routes.py).
"""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common import csvio, idempotency, ratelimit
from crm_common.auth import require_user
from crm_common.errors import field_errors
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import Invalid
from crm_common.web import Blueprint, runtime

from ..channels.keys import require_channel
from ..dedup import disclosure
from . import submissions
from .schemas import BatchIn, BatchOut, ImportQuery, IntakeOut, LeadIn

blp = Blueprint("leads", __name__, url_prefix="/v1", description="Submit, read and work leads")
MAX_IMPORT_ROWS = 5000
ROWS_PER_TRANSACTION = 500


@blp.route("/leads", methods=["POST"])
@require_channel
@idempotent
@blp.arguments(LeadIn)
@blp.response(201, IntakeOut)
@blp.alt_response(200, schema=IntakeOut, description="An exact duplicate: attached to the existing record")
def submit_lead(body):
    payload, status = idempotency.kept_answer() or submissions.submit(runtime(), g.channel, body)
    return disclosure.for_channel(payload), status


@blp.route("/leads:batch", methods=["POST"])
@require_channel
@idempotent
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def submit_batch(body):
    """Up to 500 leads; each row is validated, de-duplicated and reported on its own.

    Every row counts against the channel's rate limit (one was counted for the request)."""
    rt = runtime()
    if len(body["leads"]) > 1:
        ratelimit.check(rt, f"channel:{g.channel['_id']}", g.channel.get("rate_limit_per_minute", 600),
                        cost=len(body["leads"]) - 1)
    report = submit_rows(rt, g.channel, body["leads"])
    report["results"] = [disclosure.for_channel(r) if "dedup" in r else r for r in report["results"]]
    return report


@blp.route("/leads:import", methods=["POST"])
@csvio.upload
@require_user("admin", "manager")
@idempotent
@blp.arguments(ImportQuery, location="query")
@blp.response(200, BatchOut)
@blp.doc(**csvio.UPLOAD_DOC)
def import_csv(args):
    """A CSV file (trade show, partner list) for one channel; columns are the lead fields."""
    rt = runtime()
    channel = rt.db.channels.find_one({"_id": args["channel_id"], "active": True})
    if channel is None:
        raise Invalid("no active channel with this id", errors=[{"field": "channel_id", "message": "unknown"}])
    report = submit_rows(rt, channel, csvio.read_rows(csvio.uploaded_text(), max_rows=MAX_IMPORT_ROWS))
    for row in report["results"]:
        if "dedup" in row:
            row["dedup"] = disclosure.for_user(rt.db, g.principal, row["dedup"])
    return report


def submit_rows(rt, channel: dict, rows: list) -> dict:
    """Each valid row taken in as if submitted alone, in order; up to ROWS_PER_TRANSACTION in one transaction."""
    results, schema, valid = [], LeadIn(), []
    for number, row in enumerate(rows, start=1):
        try:
            valid.append((number, schema.load(row if isinstance(row, dict) else {})))
            results.append(None)
        except ma.ValidationError as exc:
            results.append({"row": number, "status": 400, "errors": field_errors(exc.messages)})
    for start in range(0, len(valid), ROWS_PER_TRANSACTION):
        chunk = valid[start:start + ROWS_PER_TRANSACTION]
        for (number, _), (payload, status) in zip(chunk, submissions.submit_many(rt, channel, [b for _, b in chunk])):
            results[number - 1] = {"row": number, "status": status, **payload}
    statuses = [r["status"] for r in results]
    return {"created": statuses.count(201), "duplicates": statuses.count(200), "rejected": statuses.count(400),
            "results": results}
