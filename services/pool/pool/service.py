"""The pool service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, IndexModel

from crm_common.scheduler import Job
from crm_common.service import ServiceSpec, on_data

from . import reclaim, routes

INDEXES = {
    "pool_entries": [IndexModel([("status", ASCENDING), ("reclaim_due_at", ASCENDING)]),
                     IndexModel([("owner_id", ASCENDING)])],
    "movements": [IndexModel([("customer_id", ASCENDING), ("at", ASCENDING)])],
}


def handlers(rt):
    on = partial(on_data, rt)
    return {"crm.customer.created": on(reclaim.track), "crm.customer.followed_up": on(reclaim.followed_up),
            "crm.customer.owner_changed": on(reclaim.owner_changed), "crm.customer.deleted": on(reclaim.deleted)}


def jobs(rt):
    return [Job("reclaim-due", 60, lambda: reclaim.reclaim_due(rt))]


SPEC = ServiceSpec(name="pool", package="pool", blueprints=[routes.blp], indexes=INDEXES,
                   handlers=handlers, jobs=jobs)
