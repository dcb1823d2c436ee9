"""Bulk work on customers: CSV import and export.

The `bulk` blueprint also carries pipeline configuration (pipelines/routes.py adds its routes here),
so the OpenAPI document keeps one tag for both: "CSV import and export; pipelines"."""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common import csvio, importjobs, ratelimit
from crm_common.idempotency import idempotent
from crm_common.auth import require_user
from crm_common.web import Blueprint, answers, runtime

from ..customers import scope
from ..customers.routes import customer_filter
from ..customers.schemas import CustomerQuery
from . import csv_io, jobs

blp = Blueprint("bulk", __name__, url_prefix="/v1", description="CSV import and export; pipelines")
importjobs.add_status_route(blp)  # an import past 500 rows runs as a job: GET /v1/imports/<id>


class ImportQuery(ma.Schema):
    owner_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=64))


class ExportQuery(CustomerQuery):
    class Meta:
        exclude = ("limit", "cursor")


@blp.route("/customers:import", methods=["POST"])
@csvio.upload
@require_user()
@idempotent
@blp.arguments(ImportQuery, location="query")
@blp.response(200, importjobs.ImportReport)
@blp.alt_response(**importjobs.ACCEPTED)
@blp.doc(**csvio.UPLOAD_DOC)
def import_customers(args):
    """A CSV (multipart `file` or a text/csv body): one row per customer, one contact per row.

    Columns: name, kind, industry, city, province, address, website, source, level, tags (a;b),
    note, contact_name, contact_title, phone, email, wechat_id (several separated by ;).
    Up to 500 rows the answer is the report; more run as a job (202, `Location: /v1/imports/<id>`).
    """
    rt = runtime()
    ratelimit.check(rt, f"customers:import:{g.principal.user_id}", csv_io.BULK_PER_USER_PER_MINUTE)
    owner = csv_io.import_owner(rt, g.principal, args["owner_id"])
    rows = csvio.read_rows(csvio.uploaded_text(), max_rows=csv_io.MAX_IMPORT_ROWS)
    if importjobs.too_big_to_wait(rows):
        return importjobs.queue(rt, jobs.KIND, g.principal, {"owner": owner}, rows)
    return csv_io.import_rows(rt, rows, owner=owner, by=g.principal.user_id, visible=scope.mine())


@blp.route("/customers:export", methods=["GET"])
@require_user()
@blp.arguments(ExportQuery, location="query")
@blp.doc(**answers(200, None, "text/csv"))
def export_customers(args):
    """The customers in the caller's scope and view, as CSV (same filters as the list)."""
    # the whole customer list in a few calls: limited per user, like any bulk read
    ratelimit.check(runtime(), f"customers:export:{g.principal.user_id}", csv_io.BULK_PER_USER_PER_MINUTE)
    cursor = runtime().db.customers.find(customer_filter(args)).sort("_id", 1)
    return csvio.download((csv_io.export_row(c) for c in cursor), csv_io.EXPORT_COLUMNS, "customers.csv")
