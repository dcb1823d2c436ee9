"""The notify service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, DESCENDING, IndexModel

from crm_common.scheduler import Job
from crm_common.service import ServiceSpec, on_data

from . import inbox, reminders, routes

INDEXES = {
    "inbox": [IndexModel([("key", ASCENDING), ("user_id", ASCENDING)], unique=True),
              IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)])],
    "reminders": [IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
                  IndexModel([("customer_id", ASCENDING)])],
}


def handlers(rt):
    on = partial(on_data, rt)
    return {
        "crm.customer.created": on(inbox.new_customer),
        "crm.pool.customer_reclaimed": on(inbox.reclaimed),
        "crm.lead.assigned": on(inbox.lead_assigned),
        "crm.lead.resubmitted": on(inbox.lead_resubmitted),
        "crm.customer.followup_scheduled": on(reminders.stage_action),
        "crm.customer.followed_up": on(reminders.next_contact),
        "crm.customer.owner_changed": on(reminders.owner_changed),
        "crm.customer.deleted": on(reminders.deleted),
    }


def jobs(rt):
    return [Job("reminders-due", 60, lambda: reminders.deliver_due(rt))]


SPEC = ServiceSpec(name="notify", package="notify", blueprints=[routes.blp], indexes=INDEXES,
                   handlers=handlers, jobs=jobs)
