"""The lead-intake service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, IndexModel

from crm_common import importjobs
from crm_common.service import ServiceSpec, on_data

from .assignment import reps
from .channels import routes as channels
from .dedup import customers, lookup
from .intake import routes as intake
from .leads import contacts as _contacts  # noqa: F401  (its route continues the leads blueprint)
from .leads import routes as leads
from .leads import touchpoints
from .review import routes as review
from .rules import routes as rules

INDEXES = {
    "channels": [IndexModel([("key_hash", ASCENDING)], unique=True)],
    "leads": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
              IndexModel([("owner_id", ASCENDING), ("status", ASCENDING)])],
    "identity_keys": [IndexModel([("record_id", ASCENDING)])],
    # every possible-duplicate lookup is one query on the blocking keys (dedup/companies.py), whose `k:` key
    # is the company key: an index on company_key itself would only cost every write an entry
    "companies": [IndexModel([("blocks", ASCENDING)])],
    # a lead's and a customer's touchpoints are listed by id (paged); only a customer's carry customer_id
    "touchpoints": [IndexModel([("lead_ids", ASCENDING), ("_id", ASCENDING)]),
                    IndexModel([("customer_id", ASCENDING), ("_id", ASCENDING)], sparse=True)],
    "customers": [IndexModel([("owner_id", ASCENDING)])],
    "reviews": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)])],
    **importjobs.INDEXES,
}


# Every customer event carries the customer's owner and contacts, so each one refreshes the copy here.
CUSTOMER_EVENTS = ("created", "updated", "owner_changed", "stage_changed", "qualified", "followed_up",
                   "contract_signed", "payment_received", "lifecycle_changed", "won", "lost")


def handlers(rt):
    on = partial(on_data, rt)
    return {
        **{f"crm.customer.{name}": on(customers.customer_changed) for name in CUSTOMER_EVENTS},
        "crm.customer.deleted": on(customers.customer_deleted),
        "crm.user.created": on(reps.user_changed),
        "crm.user.updated": on(reps.user_changed),
        "crm.team.created": on(reps.team_changed),
        "crm.team.updated": on(reps.team_changed),
    }


SPEC = ServiceSpec(
    name="lead-intake", package="lead_intake",
    # leads.blp is opened by intake/routes.py (submitting) and continued by leads/routes.py (working)
    # and leads/contacts.py (confirming contact methods)
    blueprints=[channels.blp, leads.blp, lookup.blp, review.blp, rules.blp, touchpoints.blp],
    indexes=INDEXES, handlers=handlers,
    jobs=lambda rt: [importjobs.scheduled(rt, intake.import_chunk)],  # CSV imports past 500 rows
)
