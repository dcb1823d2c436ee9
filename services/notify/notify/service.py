"""The notify service, described once for its app and its worker."""
from functools import partial

from pymongo import ASCENDING, DESCENDING, IndexModel

from crm_common.scheduler import Job
from crm_common.service import ServiceSpec, on_data

from . import api, state
from .automation import paused, requests as automation_requests
from .deliveries import outbound
from .contacts import feed as contact_feed
from .reminders import deals, due, handlers, tasks
from .greetings import job as greetings
from .sequences import advance as sequence_steps, audience, goals
from .transactional import mail as transactional

# Each capability adds its routes to the API's two blueprints as it is imported: imported here in the
# order the OpenAPI document lists them (keep it).
from .inbox import routes as inbox_routes
from .preferences import routes as preference_routes
from .reminders import routes as reminder_routes
from .channels import routes as channel_routes
from .channels.sms import routes as sms_routes
from .channels.work import routes as work_routes
from .deliveries import routes as delivery_routes
from .subscriptions import routes as subscription_routes
from .contacts import routes as contact_routes
from .templates import routes as template_routes
from .sequences import routes as sequence_routes
from .subscriptions.queue import with_subscriptions

ROUTES = (inbox_routes, preference_routes, reminder_routes, channel_routes, sms_routes, work_routes, delivery_routes,
          subscription_routes, contact_routes, template_routes, sequence_routes)

INDEXES = {
    "inbox": [IndexModel([("key", ASCENDING), ("user_id", ASCENDING)], unique=True),
              IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)]),
              IndexModel([("user_id", ASCENDING), ("read_at", ASCENDING)])],
    # the scheduling pass reads only what is due: cost follows the due count
    "reminders": [IndexModel([("status", ASCENDING), ("fire_at", ASCENDING)]),
                  IndexModel([("customer_id", ASCENDING), ("status", ASCENDING)]),
                  IndexModel([("lead_id", ASCENDING), ("status", ASCENDING)]),
                  IndexModel([("task_id", ASCENDING), ("status", ASCENDING)], sparse=True)],
    "deliveries": [IndexModel([("key", ASCENDING)], unique=True),
                   IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
                   IndexModel([("status", ASCENDING), ("lease_until", ASCENDING)]),
                   IndexModel([("provider_message_id", ASCENDING)], sparse=True),  # an SMS receipt names it
                   IndexModel([("queue", ASCENDING), ("status", ASCENDING), ("position", ASCENDING), ("_id", ASCENDING)]),
                   # a contact's marketing in the last 7 days: the frequency cap (contacts/outbox.py)
                   IndexModel([("recipient.contact_id", ASCENDING), ("marketing", ASCENDING), ("created_at", ASCENDING)],
                              sparse=True),
                   IndexModel([("sequence.sequence_id", ASCENDING)], sparse=True)],  # a sequence's report
    "contacts": [IndexModel([("email", ASCENDING)], sparse=True), IndexModel([("mobile", ASCENDING)], sparse=True),
                 IndexModel([("customer_id", ASCENDING), ("kind", ASCENDING)])],
    "templates": [IndexModel([("kind", ASCENDING), ("language", ASCENDING), ("created_at", DESCENDING)])],
    "subscriptions": [IndexModel([("active", ASCENDING)])],
    "contracts": [IndexModel([("customer_id", ASCENDING)])],
    "users": [IndexModel([("role", ASCENDING), ("department_id", ASCENDING)])],
    # one active enrollment per (sequence, contact): `open` is set only while it is active
    "enrollments": [IndexModel([("open", ASCENDING)], unique=True,
                               partialFilterExpression={"open": {"$type": "string"}}),
                    IndexModel([("status", ASCENDING), ("next_at", ASCENDING)]),
                    IndexModel([("contact_id", ASCENDING), ("status", ASCENDING)]),
                    IndexModel([("customer_id", ASCENDING), ("status", ASCENDING)]),
                    IndexModel([("sequence_id", ASCENDING), ("contact_id", ASCENDING)])],
    "sequence_leads": [IndexModel([("channel_id", ASCENDING), ("bucket", ASCENDING)])],
}


def handlers_of(rt):
    on = partial(on_data, rt)
    table = {
        "crm.user.created": on(state.user_changed),
        "crm.user.updated": on(state.user_changed),
        "crm.customer.created": on(handlers.created),
        "crm.customer.followed_up": on(handlers.followed_up),
        "crm.customer.followup_scheduled": on(handlers.stage_action),
        "crm.customer.owner_changed": on(handlers.owner_changed),
        "crm.customer.contract_signed": on(handlers.contract_signed),
        "crm.customer.stage_changed": on(handlers.stage_changed),
        "crm.customer.deleted": on(handlers.deleted),
        "crm.pool.customer_claimed": on(handlers.pool_claimed),
        "crm.pool.customer_assigned": on(handlers.pool_assigned),
        "crm.pool.reclaim_warning": on(handlers.reclaim_warning),
        "crm.pool.customer_reclaimed": on(handlers.reclaimed),
        "crm.lead.assigned": on(handlers.lead_assigned),
        "crm.lead.contacted": on(handlers.lead_answered),
        "crm.lead.converted": on(handlers.lead_answered),
        "crm.lead.disqualified": on(handlers.lead_answered),
        "crm.lead.merged": on(handlers.lead_answered),
        "crm.lead.resubmitted": on(handlers.lead_resubmitted),
        "crm.rule.deactivated": on(paused.rule_deactivated),
        "crm.task.overdue": on(tasks.overdue),
    }
    table.update({f"crm.task.{t}": on(tasks.changed) for t in tasks.CHANGES})
    table.update({t: on(handlers.snapshot) for t in handlers.SNAPSHOT_ONLY})
    table.update({t: on(handle) for t, handle in deals.HANDLERS.items()})
    for event_type, handle in (("crm.customer.lifecycle_changed", goals.lifecycle_changed),
                               ("crm.customer.stage_changed", goals.stage_changed),
                               ("crm.opportunity.stage_changed", goals.stage_changed),
                               ("crm.lead.received", audience.lead_received),
                               ("crm.contact.unsubscribed", goals.unsubscribed),
                               ("crm.quote.sent", transactional.quote_sent),
                               ("crm.contract.approved", transactional.contract_approved)):
        table[event_type] = _also(table.get(event_type), on(handle))
    requested = automation_requests.handler(rt)
    table["crm.automation.requested"] = lambda event, session: requested(rt, event, session)
    table = contact_feed.with_contacts(rt, table)  # contacts kept in the same transaction as the rest
    return with_subscriptions(rt, table)  # every contract type: webhook subscriptions may ask for any


def _also(first, then):
    """Two handlers of one event type, in one transaction."""
    if first is None:
        return then
    return lambda event, session: (first(event, session), then(event, session))


def jobs(rt):
    return [Job("reminders-due", 30, lambda: due.deliver_due(rt), lease_seconds=300),
            Job("deliveries", 1, lambda: outbound.run(rt), lease_seconds=120),
            Job("sequence-steps", 60, lambda: sequence_steps.advance_due(rt), lease_seconds=300),
            Job("greetings", 900, lambda: greetings.send_due(rt), lease_seconds=300)]


SPEC = ServiceSpec(name="notify", package="notify", blueprints=[api.inbox, api.admin, api.public], indexes=INDEXES,
                   handlers=handlers_of, jobs=jobs)
