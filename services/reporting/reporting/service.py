"""The reporting service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import funnel, routes

INDEXES = {
    "customer_stages": [IndexModel([("owner_id", ASCENDING)]), IndexModel([("department_path", ASCENDING)])],
}


def handlers(rt):
    return {"crm.customer.created": lambda event, session: funnel.customer_created(rt, session, event["data"])}


SPEC = ServiceSpec(name="reporting", package="reporting", blueprints=[routes.blp], indexes=INDEXES,
                   handlers=handlers)
