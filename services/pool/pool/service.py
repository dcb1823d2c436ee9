"""The pool service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, IndexModel

from crm_common.scheduler import Job
from crm_common.service import ServiceSpec, on_data

# The route modules in this order: the pools blueprint's routes come from four of them, and the order
# they are imported in is the order of its paths in the OpenAPI document.
from .pools import routes as pool_routes
from .reclaim import routes as preview_routes  # noqa: F401 - registers its routes on the pools blueprint
from .claims import routes as claim_routes  # noqa: F401 - the same
from .movements import routes as movement_routes
from .tracking import routes as entry_routes
from . import automation
from .pools import pools
from .reclaim import job
from .tracking import deals, handlers as tracking

INDEXES = {
    "pool_entries": [IndexModel([("status", ASCENDING), ("next_due_at", ASCENDING)]),
                     IndexModel([("owner_id", ASCENDING), ("status", ASCENDING)]),
                     IndexModel([("pool_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)])],
    "movements": [IndexModel([("customer_id", ASCENDING), ("_id", ASCENDING)]),
                  IndexModel([("request_id", ASCENDING)]),
                  IndexModel([("user_id", ASCENDING), ("kind", ASCENDING), ("at", ASCENDING)]),
                  IndexModel([("pool_id", ASCENDING), ("_id", ASCENDING)]),
                  IndexModel([("department_ids", ASCENDING), ("_id", ASCENDING)])],
    "pools": [IndexModel([("source_department_ids", ASCENDING)])],
}

# Every customer event carries the customer's snapshot; these refresh the entry with it.
SNAPSHOT_EVENTS = ("updated", "stage_changed", "qualified", "lifecycle_changed", "contract_signed",
                   "payment_received", "won", "lost")


def handlers(rt):
    on = partial(on_data, rt)
    out = {f"crm.customer.{name}": on(tracking.refreshed) for name in SNAPSHOT_EVENTS}
    out.update({f"crm.opportunity.{name}": on(partial(deals.changed, name=name)) for name in deals.TIME_FIELDS})
    out.update({
        "crm.customer.created": on(tracking.created), "crm.customer.followed_up": on(tracking.followed_up),
        "crm.customer.owner_changed": on(tracking.owner_changed), "crm.customer.deleted": on(tracking.deleted),
        "crm.customer.ownership_refused": on(tracking.refused),
        "crm.user.created": on(tracking.user_changed), "crm.user.updated": on(tracking.user_changed),
        "crm.automation.requested": automation.handler(rt),  # a rule's return_to_pool
    })
    return out


def jobs(rt):
    return [Job("reclaim-due", 60, lambda: job.reclaim_due(rt), lease_seconds=600)]


SPEC = ServiceSpec(name="pool", package="pool",
                   blueprints=[entry_routes.blp, movement_routes.moves_blp, pool_routes.blp], indexes=INDEXES,
                   handlers=handlers, jobs=jobs, on_start=pools.ensure_default)
