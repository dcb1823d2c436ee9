"""Notify tests: the app on the real test servers, and contract-valid events delivered through the
consumer guard, as the consumer loop would apply them."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.consumer import deliver
from crm_common.testing.snapshots import SHAPE, customer_snapshot
from notify.app import create_app
from notify.service import SPEC

from .receivers import HttpReceiver, SmtpReceiver

SNAPSHOT_FIELDS = set(SHAPE["properties"])


@pytest.fixture
def app(app_for):
    return app_for(create_app, "notify")


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Events:
    """`feed.customer(...)`, `feed.user(...)`: each call builds one event and delivers it."""

    def __init__(self, rt):
        self.rt, self.handlers, self.versions = rt, SPEC.handlers(rt), {}
        self.followups = itertools.count(1)

    def now(self):
        return self.rt.clock.now()

    def send(self, event_type: str, subject: str, data: dict) -> dict:
        event = self.rt.event(event_type, subject, data)
        aggregate = (event_type.split(".")[1], subject)
        self.versions[aggregate] = event["version"] = self.versions.get(aggregate, 0) + 1
        deliver(self.rt, "notify", self.handlers, event)
        return event

    def user(self, user_id, *, role="rep", supervisor_id=None, department_id="D1", path=("D1",), kind="created"):
        self.send(f"crm.user.{kind}", user_id, {
            "user_id": user_id, "username": user_id, "role": role, "department_id": department_id,
            "department_path": list(path), "supervisor_id": supervisor_id, "active": True, "team_ids": [],
            "holding_limit": 100})

    def snapshot(self, customer_id, owner_id="rep-1", level="A", **extra):
        fields = {"name": f"Acme {customer_id}", "owner_id": owner_id, "department_path": ["D1"], "level": level,
                  "stage": "new", **{k: extra.pop(k) for k in list(extra) if k in SNAPSHOT_FIELDS}}
        return {**customer_snapshot(customer_id, **fields), **extra}

    def customer(self, customer_id, kind="created", owner_id="rep-1", level="A", **extra):
        data = self.snapshot(customer_id, owner_id, level, **extra)
        stamp = iso(self.now())
        data.update({"created": {"created_at": stamp}, "updated": {"changed_fields": ["level"], "updated_at": stamp},
                     "deleted": {"deleted_at": stamp}}.get(kind, {}))
        return self.send(f"crm.customer.{kind}", customer_id, data)

    def followed_up(self, customer_id, *, next_contact_at=None, summary="Talked about the quote", **extra):
        n = next(self.followups)
        return self.send("crm.customer.followed_up", customer_id, {
            **self.snapshot(customer_id, **extra), "followup_id": f"F{n}", "channel": "phone", "goal_met": True,
            "next_contact_at": iso(next_contact_at) if next_contact_at else None, "next_plan": "send the quote",
            "summary": summary, "by": "rep-1", "followed_up_at": iso(self.now())})

    def owner_changed(self, customer_id, to_owner_id, *, kind="reassign", **extra):
        return self.send("crm.customer.owner_changed", customer_id, {
            **self.snapshot(customer_id, to_owner_id, **extra), "from_owner_id": "rep-1", "to_owner_id": to_owner_id,
            "kind": kind, "claim_count": 0, "changed_at": iso(self.now())})

    def contract(self, customer_id, contract_id, end_date, **extra):
        return self.send("crm.customer.contract_signed", customer_id, {
            **self.snapshot(customer_id, **extra), "contract_id": contract_id, "title": "Annual licence",
            "amount": "120000.00", "start_date": "2026-01-01", "end_date": end_date, "order_total": "120000.00",
            "signed_at": iso(self.now())})

    def stage_changed(self, customer_id, to, *, grade=None, **extra):
        return self.send("crm.customer.stage_changed", customer_id, {
            **self.snapshot(customer_id, stage=to, grade=grade, **extra), "from": "new", "to": to,
            "pipeline_id": "P1", "by": "rep-1", "changed_at": iso(self.now())})

    def stage_entered(self, customer_id, stage, *, days=7, **extra):
        """As the customer service does: the stage change, then the follow-up its entry action asks for."""
        self.stage_changed(customer_id, stage, **extra)
        now = self.now()
        return self.send("crm.customer.followup_scheduled", customer_id, {
            **self.snapshot(customer_id, stage=stage, **extra), "due_at": iso(now + timedelta(days=days)),
            "action": "schedule_followup", "stage": stage, "scheduled_at": iso(now)})

    def lead(self, event, lead_id, **data):
        """A crm.lead.* event of lead-intake, at notify's clock."""
        now = iso(self.now())
        base = {"assigned": {"lead_id": lead_id, "owner_id": "rep-1", "by": "rules", "assigned_at": now,
                             "respond_by": iso(self.now() + timedelta(hours=24))},
                "contacted": {"lead_id": lead_id, "owner_id": "rep-1", "by": "rep-1", "assigned_at": None,
                              "contacted_at": now},
                "converted": {"lead_id": lead_id, "converted_by": "rep-1", "owner_id": "rep-1", "phones": [],
                              "emails": [], "converted_at": now},
                "disqualified": {"lead_id": lead_id, "reason": "no_demand", "by": "rep-1", "disqualified_at": now},
                "merged": {"merged_id": lead_id, "survivor_id": "L-survivor", "survivor_kind": "lead", "by": "rep-1",
                           "merged_at": now}}[event]
        return self.send(f"crm.lead.{event}", lead_id, {**base, **data})


@pytest.fixture
def feed(rt):
    return Events(rt)


@pytest.fixture
def travel(rt):
    """`travel(days=3)`: move notify's clock forward (from now) and run the scheduling pass."""
    def move(**delta):
        rt.clock.set_offset(timedelta(**delta))
        return rt.scheduler.run_now("reminders-due")
    return move


def inbox(rt, user_id="rep-1", kind=None):
    query = {"user_id": user_id, **({"kind": kind} if kind else {})}
    return list(rt.db.inbox.find(query).sort("_id", 1))


@pytest.fixture
def http():
    """A local HTTP receiver (robots, webhooks), closed after the test."""
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    """A local SMTP receiver, closed after the test."""
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


def allow_local_receivers(client, headers) -> dict:
    """The local receivers listen on loopback, which notify refuses unless an admin allows it."""
    assert client.put("/v1/settings/outbound", headers=headers,
                      json={"allowed_private_hosts": ["127.0.0.1"]}).status_code == 200
    return headers
