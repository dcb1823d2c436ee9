"""The lead-intake service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import channels, config_api, directory, leads, review

INDEXES = {
    "channels": [IndexModel([("key_hash", ASCENDING)], unique=True)],
    "leads": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
              IndexModel([("owner_id", ASCENDING), ("status", ASCENDING)])],
    "identity_keys": [IndexModel([("record_id", ASCENDING)])],
    "companies": [IndexModel([("company_key", ASCENDING)]),
                  IndexModel([("city", ASCENDING), ("key_length", ASCENDING)])],
    "customer_touchpoints": [IndexModel([("customer_id", ASCENDING)])],
    "customers": [IndexModel([("owner_id", ASCENDING)])],
    "reviews": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)])],
}


def handlers(rt):
    def customer(event, session):
        directory.customer_changed(rt, session, event["data"])
    return {
        "crm.customer.created": customer,
        "crm.customer.updated": customer,
        "crm.customer.owner_changed": customer,
        "crm.user.created": lambda event, session: directory.user_changed(rt, session, event["data"]),
        "crm.user.updated": lambda event, session: directory.user_changed(rt, session, event["data"]),
        "crm.team.created": lambda event, session: directory.team_changed(rt, session, event["data"]),
        "crm.team.updated": lambda event, session: directory.team_changed(rt, session, event["data"]),
    }


SPEC = ServiceSpec(
    name="lead-intake", package="lead_intake",
    blueprints=[channels.blp, leads.blp, review.blp, config_api.blp], indexes=INDEXES, handlers=handlers,
)
