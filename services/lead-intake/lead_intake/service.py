"""The lead-intake service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import channels, intake, leads

INDEXES = {
    "channels": [IndexModel([("key_hash", ASCENDING)], unique=True)],
    "leads": [IndexModel([("status", ASCENDING), ("_id", ASCENDING)])],
    "identity_keys": [IndexModel([("record_id", ASCENDING)])],
    "customer_touchpoints": [IndexModel([("customer_id", ASCENDING)])],
}


def handlers(rt):
    return {"crm.customer.created": lambda event, session: intake.remember_customer(rt, session, event["data"])}


SPEC = ServiceSpec(
    name="lead-intake", package="lead_intake", blueprints=[channels.blp, leads.blp],
    indexes=INDEXES, handlers=handlers,
)
