"""The customer service, described once for its app and its worker."""
from pymongo import ASCENDING, IndexModel

from crm_common import importjobs
from crm_common.scheduler import Job
from crm_common.service import ServiceSpec

from .automation import requests as automation_requests
from .contracts import activation
from .contracts import routes as contract_routes
from .customers import contacts, intake, lead_keys, ownership
from .customers import routes as customer_routes
from .imports import jobs as import_jobs
from .imports import routes as import_routes
from .opportunities import routes as opportunity_routes
from .org import routes as org_routes
from .org import users
from .pipelines import pipelines
from .pipelines import routes as pipeline_routes  # noqa: F401 - adds the pipeline routes to import_routes.blp
from .quotes import routes as quote_routes
from .sales import routes as sales_routes
from .tasks import routes as task_routes
from .tasks import store as tasks

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
    "opportunities": [
        IndexModel([("customer_id", ASCENDING)]),
        IndexModel([("owner_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("department_path", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("collaborator_ids", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
    ],
    "stage_history": [IndexModel([("customer_id", ASCENDING), ("at", ASCENDING)]),
                      IndexModel([("opportunity_id", ASCENDING), ("at", ASCENDING)])],
    "followups": [IndexModel([("customer_id", ASCENDING), ("_id", ASCENDING)])],
    "contracts": [IndexModel([("customer_id", ASCENDING)]), IndexModel([("opportunity_id", ASCENDING)]),
                  IndexModel([("end_date", ASCENDING)]),
                  IndexModel([("status", ASCENDING), ("start_date", ASCENDING)]),
                  IndexModel([("awaiting.approver_ids", ASCENDING), ("_id", ASCENDING)]),
                  IndexModel([("awaiting.role", ASCENDING), ("_id", ASCENDING)])],
    "invoices": [IndexModel([("number", ASCENDING)], unique=True,
                            partialFilterExpression={"number": {"$type": "string"}}),
                 IndexModel([("contract_id", ASCENDING)])],
    "payments": [IndexModel([("customer_id", ASCENDING)])],
    "products": [IndexModel([("code", ASCENDING)], unique=True), IndexModel([("active", ASCENDING), ("_id", ASCENDING)])],
    "quotes": [IndexModel([("opportunity_id", ASCENDING), ("first_id", ASCENDING), ("quote_version", ASCENDING)]),
               IndexModel([("first_id", ASCENDING), ("status", ASCENDING)])],
    "tasks": [  # scoped lists as customers' (crm_common.kernel.scope), the overdue job, one task per rule request
        IndexModel([("owner_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("collaborator_ids", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("department_path", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("related.id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("customer_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("overdue", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("request_id", ASCENDING)], unique=True, partialFilterExpression={"request_id": {"$type": "string"}}),
    ],
    **importjobs.INDEXES,
}


def handlers(rt):
    return {
        "crm.lead.received": lambda event, session: lead_keys.received(rt, session, event["data"]),
        "crm.lead.resubmitted": lambda event, session: lead_keys.resubmitted(rt, session, event["data"]),
        "crm.lead.contact_methods_confirmed": lambda event, session: lead_keys.confirmed(rt, session, event["data"]),
        "crm.lead.merged": lambda event, session: lead_keys.merged(rt, session, event["data"]),
        "crm.lead.converted": lambda event, session: intake.create_from_lead(rt, session, event["data"]),
        "crm.pool.ownership_requested": lambda event, session: ownership.requested(rt, session, event["data"]),
        "crm.automation.requested": lambda event, session: automation_requests.handler(rt)(rt, event, session),
        "crm.contact.unsubscribed": lambda event, session: contacts.unsubscribed(rt, session, event["data"]),
    }


def on_start(rt):
    users.ensure_admin(rt)
    pipelines.ensure_default(rt)


SPEC = ServiceSpec(
    name="customer", package="customer",
    blueprints=[org_routes.auth_blp, org_routes.org_blp, import_routes.blp, customer_routes.blp, sales_routes.blp,
                opportunity_routes.blp, quote_routes.blp, task_routes.blp, contract_routes.blp],
    indexes=INDEXES, handlers=handlers, on_start=on_start,
    # CSV imports past 500 rows; contracts becoming active or expired by their dates
    jobs=lambda rt: [importjobs.scheduled(rt, import_jobs.import_chunk), activation.job(rt),
                     Job("tasks-overdue", 60, lambda: tasks.overdue(rt), lease_seconds=300)],  # once, past due
    token_versions="users",  # this service owns the users: a change refuses old tokens at once
)
