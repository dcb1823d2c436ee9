"""The worker's `contracts` job: an approved contract becomes active on its start date (crm.contract.activated)
and expired after its end date, by the clock, so renewal reminders and totals see what is in force."""
from __future__ import annotations

from crm_common.scheduler import Job

from ..customers import customers
from . import contracts

BATCH = 200


def run(rt) -> int:
    """Move every contract whose dates say so; how many moved."""
    today = customers.now(rt).date().isoformat()
    due = {"$or": [{"status": "approved", "start_date": {"$lte": today}},
                   {"status": {"$in": ["approved", "active"]}, "end_date": {"$lt": today}}]}
    moved = 0
    for found in list(rt.db.contracts.find(due, {"_id": 1}).limit(BATCH)):
        def work(session, contract_id=found["_id"]):
            contract = rt.db.contracts.find_one({"_id": contract_id, **due}, session=session)
            if contract is None or not contracts.activate(rt, session, contract):
                return 0
            rt.db.contracts.update_one({"_id": contract_id, "status": {"$in": ["approved", "active"]}},
                                       {"$set": {"status": contract["status"]}, "$inc": {"version": 1}},
                                       session=session)
            return 1
        moved += rt.transaction(work)
    return moved


def job(rt) -> Job:
    return Job("contracts", 60.0, lambda: run(rt))
