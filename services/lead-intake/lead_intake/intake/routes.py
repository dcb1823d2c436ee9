"""The leads API, taking leads in: a channel submits one lead or a batch, a manager imports a CSV.

This opens the leads blueprint; the routes that work leads follow it (leads/routes.py).
"""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common import csvio, idempotency, importjobs, ratelimit
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
importjobs.add_status_route(blp)  # an import past 500 rows runs as a job: GET /v1/imports/<id>
MAX_IMPORT_ROWS = 5000
ROWS_PER_TRANSACTION = 500
IMPORT_KIND = "leads"


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
@blp.alt_response(**importjobs.ACCEPTED)
@blp.doc(**csvio.UPLOAD_DOC)
def import_csv(args):
    """A CSV file (trade show, partner list) for one channel; columns are the lead fields.

    Up to 500 rows the answer is the report; more run as a job (202, `Location: /v1/imports/<id>`)."""
    rt = runtime()
    channel = rt.db.channels.find_one({"_id": args["channel_id"], "active": True})
    if channel is None:
        raise Invalid("no active channel with this id", errors=[{"field": "channel_id", "message": "unknown"}])
    rows = csvio.read_rows(csvio.uploaded_text(), max_rows=MAX_IMPORT_ROWS)
    if importjobs.too_big_to_wait(rows):
        return importjobs.queue(rt, IMPORT_KIND, g.principal, {"channel_id": channel["_id"]}, rows)
    return disclosed(rt, g.principal, submit_rows(rt, channel, rows))


def import_chunk(rt, job: dict, rows: list[dict], first: int, kept: dict, keep) -> list[dict]:
    """One chunk of an import job's rows, taken in as the synchronous import would, reported to its sender."""
    channel = rt.db.channels.find_one({"_id": job["params"]["channel_id"]})  # active when the import was sent
    report = submit_rows(rt, channel, rows, first=first, kept=kept, keep=keep)
    return disclosed(rt, importjobs.principal_of(job), report)["results"]


def disclosed(rt, principal, report: dict) -> dict:
    """The report with each duplicate's record named only as far as the importer may see it."""
    for row in report["results"]:
        if "dedup" in row:
            row["dedup"] = disclosure.for_user(rt.db, principal, row["dedup"])
    return report


def submit_rows(rt, channel: dict, rows: list, first: int = 1, kept: dict | None = None, keep=None) -> dict:
    """Each valid row taken in as if submitted alone, in order; up to ROWS_PER_TRANSACTION in one transaction.

    An import job passes the rows an earlier run of it took in (`kept`, by row number) and `keep`, which
    records the rows' reports in their transaction (crm_common.importjobs)."""
    results, schema, valid, kept = [], LeadIn(), [], kept or {}
    for number, row in enumerate(rows, start=first):
        if str(number) in kept:
            results.append(kept[str(number)])
            continue
        try:
            valid.append((number, schema.load(row if isinstance(row, dict) else {})))
            results.append(None)
        except ma.ValidationError as exc:
            results.append({"row": number, "status": 400, "errors": field_errors(exc.messages)})
    for start in range(0, len(valid), ROWS_PER_TRANSACTION):
        chunk = valid[start:start + ROWS_PER_TRANSACTION]

        def reported(session, answers, chunk=chunk):
            keep(session, [{"row": number, "status": status, **payload}
                           for (number, _), (payload, status) in zip(chunk, answers)])
        taken = submissions.submit_many(rt, channel, [b for _, b in chunk], then=reported if keep else None)
        for (number, _), (payload, status) in zip(chunk, taken):
            results[number - first] = {"row": number, "status": status, **payload}
    statuses = [r["status"] for r in results]
    return {"created": statuses.count(201), "duplicates": statuses.count(200), "rejected": statuses.count(400),
            "results": results}
