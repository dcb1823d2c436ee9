"""The lead-intake service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec, on_data

from . import channels, config_api, directory, leads, lookup, review, touchpoints

INDEXES = {
    "channels": [IndexModel([("key_hash", ASCENDING)], unique=True)],
    "leads": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
              IndexModel([("owner_id", ASCENDING), ("status", ASCENDING)])],
    "identity_keys": [IndexModel([("record_id", ASCENDING)])],
    # every possible-duplicate lookup is one query on the blocking keys (companies.py), whose `k:` key
    # is the company key: an index on company_key itself would only cost every write an entry
    "companies": [IndexModel([("blocks", ASCENDING)])],
    "customer_touchpoints": [IndexModel([("customer_id", ASCENDING)])],
    "customers": [IndexModel([("owner_id", ASCENDING)])],
    "reviews": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)])],
}


# Every customer event carries the customer's owner and contacts, so each one refreshes the copy here.
CUSTOMER_EVENTS = ("created", "updated", "owner_changed", "stage_changed", "qualified", "followed_up",
                   "contract_signed", "payment_received", "lifecycle_changed", "won", "lost")


def handlers(rt):
    on = partial(on_data, rt)
    return {
        **{f"crm.customer.{name}": on(directory.customer_changed) for name in CUSTOMER_EVENTS},
        "crm.customer.deleted": on(directory.customer_deleted),
        "crm.user.created": on(directory.user_changed),
        "crm.user.updated": on(directory.user_changed),
        "crm.team.created": on(directory.team_changed),
        "crm.team.updated": on(directory.team_changed),
    }


SPEC = ServiceSpec(
    name="lead-intake", package="lead_intake",
    blueprints=[channels.blp, leads.blp, lookup.blp, review.blp, config_api.blp, touchpoints.blp],
    indexes=INDEXES, handlers=handlers,
)
