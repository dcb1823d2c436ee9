"""CSV import (de-duplicated like leads, with a per-row report) and export (scope respected).

An import row is an exact duplicate when one of its contact methods already
belongs to a customer, or its company and contact name match one; it then
creates nothing and names the matched keys, and the customer's id only when
the importer may see it (as a manual create does: no existence leak). It is one
too when a lead holds one of those keys (lead_keys): the lead is converted, not
entered twice.
"""
from __future__ import annotations

import marshmallow as ma

from crm_common import queries
from crm_common.errors import field_errors
from crm_common.kernel.refusals import Forbidden, Invalid

from ..customers import contacts, customers, dedup, lead_keys, ownership
from ..customers.schemas import CustomerIn

MAX_IMPORT_ROWS = 5000
BULK_PER_USER_PER_MINUTE = 10  # imports, and exports, each
CONTACT_COLUMNS = {"contact_name": "name", "contact_title": "title", "phone": "phones", "email": "emails",
                   "wechat_id": "wechat_ids"}
LIST_SEPARATOR = ";"
EXPORT_COLUMNS = ["id", "name", "kind", "level", "stage", "lifecycle", "owner_id", "city", "province", "industry",
                  "tags", "contact_name", "phones", "emails", "wechat_ids", "last_followup_at", "next_contact_at",
                  "claim_count", "completeness", "opportunity_total", "order_total", "paid_total", "outstanding",
                  "created_at"]


def row_to_customer(row: dict) -> dict:
    """A CSV row (flat columns) as a customer request body."""
    body = {k: v for k, v in row.items() if k not in CONTACT_COLUMNS}
    if "tags" in body:
        body["tags"] = [t.strip() for t in body["tags"].split(LIST_SEPARATOR) if t.strip()]
    contact = {}
    for column, field in CONTACT_COLUMNS.items():
        if column in row:
            value = row[column]
            contact[field] = [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()] if field.endswith("s") \
                else value
    if any(contact.values()):  # a row with empty contact columns is a customer without a contact
        body["contacts"] = [contact]
    return body


def import_rows(rt, rows: list[dict], *, owner: dict, by: str, visible: dict, first: int = 1,
                kept: dict | None = None, keep=None) -> dict:
    """Each row in a transaction of its own; a job passes the rows an earlier run of it imported (`kept`,
    by row number) and `keep`, which records each row's report in its transaction (crm_common.importjobs)."""
    results, schema, kept = [], CustomerIn(), kept or {}
    for number, row in enumerate(rows, start=first):
        if str(number) in kept:
            results.append(kept[str(number)])
            continue
        try:
            body = schema.load(row_to_customer(row))
        except ma.ValidationError as exc:
            results.append({"row": number, "status": 400, "errors": field_errors(exc.messages)})
            continue
        try:  # one contact per row today; the cap is checked as on a manual create all the same
            contacts.check_count(body["contacts"])
        except Invalid as refused:
            results.append({"row": number, "status": refused.status, "errors": refused.errors})
            continue
        def work(session, body=body, number=number):
            result = {"row": number, **_import_one(rt, session, body, owner, by, visible)}
            if keep is not None:
                keep(session, [result])
            return result
        results.append(rt.transaction(work))
    statuses = [r["status"] for r in results]
    return {"created": statuses.count(201), "duplicates": statuses.count(200),
            "rejected": sum(s >= 400 for s in statuses),
            "results": results}


def _import_one(rt, session, body: dict, owner: dict, by: str, visible: dict) -> dict:
    customer = customers.new_customer(rt, session, body, owner)
    matched = dedup.exact_matches(rt, session, customer)
    if matched:
        ids = list(dict.fromkeys(i for _, i in matched))
        seen = queries.find_one(rt.db.customers, queries.both({"_id": {"$in": ids}}, visible), session)
        return {"status": 200, "duplicate_of": seen["_id"] if seen else None, "duplicate_of_kind": "customer",
                "matched_keys": [k for k, _ in matched]}
    leads = lead_keys.held(rt, session, lead_keys.of_customer(customer))
    if leads:  # a lead being worked: convert it instead (its id is lead-intake's to show, by scope)
        return {"status": 200, "duplicate_of": None, "duplicate_of_kind": "lead", "matched_keys": sorted(leads)}
    similar = dedup.same_company(rt, session, customer, visible)
    customers.insert(rt, session, customer, by=by, strict_keys=True)
    return {"status": 201, "id": customer["_id"], **({"possible_duplicates": similar} if similar else {})}


def export_row(customer: dict) -> dict:
    first = (customer.get("contacts") or [{}])[0]
    return {**customer, "id": customer["_id"], "contact_name": first.get("name"),
            "phones": [p for c in customer.get("contacts", []) for p in c.get("phones", [])],
            "emails": [e for c in customer.get("contacts", []) for e in c.get("emails", [])],
            "wechat_ids": [w for c in customer.get("contacts", []) for w in c.get("wechat_ids", [])]}


def import_owner(rt, principal, owner_id: str | None) -> dict:
    """Imported customers belong to the importer, or to `owner_id` when a manager or admin names one:
    what a new customer takes of its owner (kept with an import run as a job, so no more)."""
    if owner_id is None or owner_id == principal.user_id:
        user = rt.db.users.find_one({"_id": principal.user_id}) or {
            "_id": principal.user_id, "department_path": principal.department_path}
    elif principal.role == "rep":
        raise Forbidden("only a manager or an admin imports for someone else")
    else:
        user = rt.transaction(lambda s: ownership.new_owner(rt, s, owner_id, assigner=principal))
    return {k: user[k] for k in ("_id", "department_id", "department_path") if k in user}
