"""The pool service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.scheduler import Job
from crm_common.service import ServiceSpec

from . import reclaim, routes

INDEXES = {
    "pool_entries": [IndexModel([("status", ASCENDING), ("reclaim_due_at", ASCENDING)]),
                     IndexModel([("owner_id", ASCENDING)])],
    "movements": [IndexModel([("customer_id", ASCENDING), ("at", ASCENDING)])],
}


def handlers(rt):
    return {"crm.customer.created": lambda event, session: reclaim.track(rt, session, event["data"])}


def jobs(rt):
    return [Job("reclaim-due", 60, lambda: reclaim.reclaim_due(rt))]


SPEC = ServiceSpec(name="pool", package="pool", blueprints=[routes.blp], indexes=INDEXES,
                   handlers=handlers, jobs=jobs)
