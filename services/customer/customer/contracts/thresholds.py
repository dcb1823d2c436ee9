"""The approval thresholds an admin sets (GET/PUT /v1/settings/contract-approval). Until an admin's first
PUT they are the defaults (version 0), which count: replacing them takes If-Match. Each change is audited."""
from __future__ import annotations

from crm_common import audit, concurrency
from crm_common.kernel import money
from crm_common.kernel.refusals import Invalid

from .approval import DEFAULTS

ID = "contract_approval"


def current(rt, session=None) -> dict:
    stored = rt.db.settings.find_one({"_id": ID}, session=session) or {}
    return {**{k: money.text(stored.get(k, v)) for k, v in DEFAULTS.items()}, "version": stored.get("version", 0)}


def put(rt, changes: dict, expected) -> dict:
    def work(session):  # the change and its audit row commit together
        before = current(rt, session)
        concurrency.check(before, expected)
        after = {**before, **{k: money.text(v) for k, v in changes.items()}}
        if money.exact(after["admin_above"]) < money.exact(after["manager_above"]):
            raise Invalid("the admin's threshold is below the manager's",
                          errors=[{"field": "admin_above", "message": "must not be below manager_above"}])
        rt.db.settings.update_one({"_id": ID}, {"$set": {k: after[k] for k in DEFAULTS}, "$inc": {"version": 1}},
                                  upsert=True, session=session)
        audit.record(rt, session, ID, ID, before, current(rt, session))
    rt.transaction(work)
    return current(rt)
