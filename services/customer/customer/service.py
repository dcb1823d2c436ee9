"""The customer service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import customers, org, routes

INDEXES = {
    "users": [IndexModel([("username", ASCENDING)], unique=True)],
    "customers": [
        IndexModel([("source_lead_id", ASCENDING)], unique=True,
                   partialFilterExpression={"source_lead_id": {"$type": "string"}}),
        IndexModel([("owner_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("department_path", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("collaborator_ids", ASCENDING)]),
    ],
}


def handlers(rt):
    return {"crm.lead.converted": lambda event, session: customers.create_from_lead(rt, session, event["data"])}


SPEC = ServiceSpec(
    name="customer", package="customer", blueprints=[routes.auth_blp, routes.customers_blp],
    indexes=INDEXES, handlers=handlers, on_start=org.ensure_admin,
)
