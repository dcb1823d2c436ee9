"""The notify service, described once for its app and its worker."""
from pymongo import ASCENDING, DESCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import inbox, routes

INDEXES = {
    "inbox": [IndexModel([("key", ASCENDING), ("user_id", ASCENDING)], unique=True),
              IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)])],
}


def handlers(rt):
    return {
        "crm.customer.created": lambda event, session: inbox.new_customer(rt, session, event["data"]),
        "crm.pool.customer_reclaimed": lambda event, session: inbox.reclaimed(rt, session, event["data"]),
        "crm.lead.assigned": lambda event, session: inbox.lead_assigned(rt, session, event["data"]),
        "crm.lead.resubmitted": lambda event, session: inbox.lead_resubmitted(rt, session, event["data"]),
    }


SPEC = ServiceSpec(name="notify", package="notify", blueprints=[routes.blp], indexes=INDEXES,
                   handlers=handlers)
