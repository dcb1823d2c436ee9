"""The customer service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common.service import ServiceSpec

from . import intake, lead_keys, org, ownership, pipelines, routes_admin, routes_customers, routes_org, routes_sales

INDEXES = {
    "users": [IndexModel([("username", ASCENDING)], unique=True),
              IndexModel([("supervisor_id", ASCENDING)]), IndexModel([("department_path", ASCENDING)])],
    "departments": [IndexModel([("path", ASCENDING)])],
    "teams": [IndexModel([("members.user_id", ASCENDING)])],
    "customers": [
        IndexModel([("source_lead_id", ASCENDING)], unique=True,
                   partialFilterExpression={"source_lead_id": {"$type": "string"}}),
        IndexModel([("owner_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("owner_id", ASCENDING), ("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("department_path", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("department_path", ASCENDING), ("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("collaborator_ids", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("collaborator_ids", ASCENDING), ("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("company_key", ASCENDING)]),
    ],
    "contact_keys": [IndexModel([("customer_id", ASCENDING)])],
    "lead_keys": [IndexModel([("lead_id", ASCENDING)])],
    "stage_history": [IndexModel([("customer_id", ASCENDING), ("at", ASCENDING)])],
    "followups": [IndexModel([("customer_id", ASCENDING), ("_id", ASCENDING)])],
    "contracts": [IndexModel([("customer_id", ASCENDING)]), IndexModel([("end_date", ASCENDING)])],
    "payments": [IndexModel([("customer_id", ASCENDING)])],
}


def handlers(rt):
    return {
        "crm.lead.received": lambda event, session: lead_keys.received(rt, session, event["data"]),
        "crm.lead.resubmitted": lambda event, session: lead_keys.resubmitted(rt, session, event["data"]),
        "crm.lead.merged": lambda event, session: lead_keys.merged(rt, session, event["data"]),
        "crm.lead.converted": lambda event, session: intake.create_from_lead(rt, session, event["data"]),
        "crm.pool.ownership_requested": lambda event, session: ownership.requested(rt, session, event["data"]),
    }


def on_start(rt):
    org.ensure_admin(rt)
    pipelines.ensure_default(rt)


SPEC = ServiceSpec(
    name="customer", package="customer",
    blueprints=[routes_org.auth_blp, routes_org.org_blp, routes_admin.blp, routes_customers.blp, routes_sales.blp],
    indexes=INDEXES, handlers=handlers, on_start=on_start,
    token_versions="users",  # this service owns the users: a change refuses old tokens at once
)
