"""The automation service on the real test servers, fed events as its consumer would: each through the
consumer's own `deliver` (contract, version guard, handler, one transaction)."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from automation.app import create_app
from automation.runs.firing import handlers
from crm_common.consumer import deliver
from crm_common.events import new_event
from crm_common.testing.events import data_of
from crm_common.testing.snapshots import customer_snapshot

GROUP = "automation"
_versions = itertools.count(1)


@pytest.fixture
def app(app_for):
    return app_for(create_app, "automation")


@pytest.fixture
def admin(token_for):
    return token_for("admin-1", "admin")


class Automation:
    """The service under test: its API as an admin, and events delivered to its worker's handlers."""

    def __init__(self, app, admin):
        self.rt, self.client, self.admin = app.extensions["crm"], app.test_client(), admin
        self.handlers = handlers(self.rt)

    def post(self, path, body=None, **headers):
        return self.client.post(path, json=body if body is not None else {}, headers={**self.admin, **headers})

    def rule(self, body, *, activate=True) -> dict:
        made = self.post("/v1/rules", body)
        assert made.status_code == 201, made.json
        if activate:
            done = self.post(f"/v1/rules/{made.json['id']}:activate")
            assert done.status_code == 200, done.json
        return made.json

    def deliver(self, event, group=GROUP) -> bool:
        return deliver(self.rt, group, self.handlers, event)

    def runs(self, **query) -> list[dict]:
        answer = self.client.get("/v1/runs", query_string={"limit": 200, **query}, headers=self.admin)
        assert answer.status_code == 200, answer.json
        return answer.json["items"]

    def requests(self) -> list[dict]:
        return data_of(self.rt, "crm.automation.requested")


@pytest.fixture
def automation(app, admin):
    return Automation(app, admin)


def event(event_type, subject, data, *, version=None, caused_by=None):
    """An event as its service publishes it, with the next version of its aggregate."""
    made = new_event(event_type, subject, data, source="test", time=datetime.now(timezone.utc), caused_by=caused_by)
    made["version"] = version or next(_versions)
    return made


def customer_event(event_type, customer_id="C1", *, caused_by=None, version=None, extra=None, **snapshot):
    data = {**customer_snapshot(customer_id, **snapshot), **(extra or {})}
    return event(event_type, customer_id, data, version=version, caused_by=caused_by)


def followed_up(customer_id="C1", content="客户来电", **snapshot):
    now = datetime.now(timezone.utc).isoformat()
    return customer_event("crm.customer.followed_up", customer_id, extra={
        "followup_id": f"F-{next(_versions)}", "channel": "phone", "summary": content[:200], "content": content,
        "goal_met": False, "next_contact_at": None, "by": "rep-1", "followed_up_at": now}, **snapshot)


def updated(customer_id="C1", changed=("tags",), *, caused_by=None, **snapshot):
    now = datetime.now(timezone.utc).isoformat()
    return customer_event("crm.customer.updated", customer_id, caused_by=caused_by,
                          extra={"changed_fields": list(changed), "updated_at": now}, **snapshot)


def applied(request, status="applied", *, reason=None, result=None, service=None, version=None):
    """The applying service's answer to a request (crm.automation.applied), as crm_common.actions sends it."""
    from crm_common.actions import APPLIED_BY
    return event("crm.automation.applied", request["request_id"], {
        "request_id": request["request_id"], "run_id": request["run_id"], "rule_id": request["rule_id"],
        "step": request["step"], "service": service or APPLIED_BY[request["action"]["type"]], "status": status,
        "reason": reason, "result": result or {}, "answered_at": datetime.now(timezone.utc).isoformat()},
        version=version)
