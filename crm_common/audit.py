"""Who changed a service's configuration, when, and from what to what.

Every configuration route (channels, rules, pools, reminder settings, SMTP, robots, outbound
settings, pipelines) calls `record` in the transaction of its change: the service's `audit`
collection keeps the row, and `crm.config.changed` (topic crm.org) announces it through the
outbox, so a change that is rolled back leaves neither. Secrets never reach either: a field named
like a credential shows only whether it is set.

`GET /v1/audit?since=&kind=` lists a service's rows to its admins, oldest first, paged.
"""
from __future__ import annotations

from datetime import date, datetime

import marshmallow as ma
from flask import g, has_request_context
from pymongo import ASCENDING, IndexModel

from .auth import require_user
from .paging import PageArgs, new_id, page, page_schema
from .web import Blueprint, runtime

COLLECTION = "audit"
EVENT = "crm.config.changed"
INDEXES = {COLLECTION: [IndexModel([("kind", ASCENDING), ("_id", ASCENDING)]),
                        IndexModel([("at", ASCENDING)])]}
# Fields whose value is a credential, wherever they sit in a configuration: an API key's hash, the SMTP
# password, a robot's URL (WeCom's key and DingTalk's access_token are in it) and its signing secret.
SECRET_FIELDS = frozenset({"password", "secret", "url", "api_key", "key_hash", "token", "access_token"})
MASK = "***"
# What the audit shows of internal bookkeeping: nothing (it is not part of what an admin configured)
LEFT_OUT = frozenset({"_id", "recent"})


def masked(value):
    """`value` as JSON, with every credential field replaced by MASK (or None when it is not set)."""
    if isinstance(value, dict):
        return {str(k): (MASK if v else None) if k in SECRET_FIELDS else masked(v)
                for k, v in value.items() if k not in LEFT_OUT}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [masked(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _actor() -> str:
    principal = getattr(g, "principal", None) if has_request_context() else None
    return getattr(principal, "user_id", None) or "system"


def record(rt, session, kind: str, subject: str, before, after, *, actor: str | None = None) -> dict:
    """Keep one configuration change and publish it, in the caller's transaction (`session`).

    `kind` names what was configured (e.g. `channel`, `rules.scoring`), `subject` which one (a channel
    id; the kind again for a single setting). `before` is None for a creation, `after` None for a removal.
    """
    now = rt.clock.now()
    row = {"_id": new_id(), "at": now, "actor": actor or _actor(), "service": rt.settings.service,
           "kind": kind, "subject": str(subject), "before": masked(before), "after": masked(after)}
    rt.db[COLLECTION].insert_one(row, session=session)
    rt.publish(session, rt.event(EVENT, f"{row['service']}:{kind}:{subject}", {
        **{k: row[k] for k in ("service", "kind", "subject", "actor", "before", "after")},
        "audit_id": row["_id"], "changed_at": now.isoformat()}))
    return row


def recorded(rt, kind: str, subject: str, before, after, write=None, *, actor: str | None = None):
    """Run `write(session)` (if given) and `record` the change in one transaction; `write`'s result, which
    an idempotent request keeps for its retry (Runtime.transaction): return what the route answers from."""
    def work(session):
        result = write(session) if write is not None else None
        record(rt, session, kind, subject, before, after, actor=actor)
        return result
    return rt.transaction(work)


blp = Blueprint("audit", __name__, url_prefix="/v1/audit", description="Who changed this service's configuration")


class AuditArgs(PageArgs):
    since = ma.fields.AwareDateTime(load_default=None, metadata={"description": "changes at or after this time"})
    kind = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100),
                            metadata={"description": "only changes of this kind, e.g. `channel`, `rules.scoring`"})


class AuditOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    at = ma.fields.DateTime()
    actor = ma.fields.String()
    kind = ma.fields.String()
    subject = ma.fields.String()
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, page_schema(AuditOut, "AuditPage"))
def list_audit(args):
    """This service's configuration changes, oldest first: who, when, and the masked before and after."""
    query = {}
    if args["kind"]:
        query["kind"] = args["kind"]
    if args["since"]:
        query["at"] = {"$gte": args["since"]}
    return page(runtime().db[COLLECTION], query, limit=args["limit"], cursor=args["cursor"])
