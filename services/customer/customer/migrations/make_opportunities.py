"""Give every customer stored before opportunities its first deal.

    python -m customer.migrations.make_opportunities    (MONGO_URI / CRM_MONGO_PORT as the other admin commands)

A customer that has never been through this release's code (it lacks `open_opportunities`) gets one
deal made of what the customer held: its pipeline, stage and when it entered it, its loss reason, the
deal facts its stage conditions checked, its 定级 and 定量 (grade, expected amount and date), its source
lead, its contracts (they and its stage history now name the deal), and an amount: its contracts' total,
or the expected amount while it has none. The customer then shows what its deals add up to, and the
deal's crm.opportunity.created is queued in the event log, so read models rebuild from it.

Each batch of customers is one transaction, a customer is taken only while it still lacks its deals,
and its first deal's id is made of its own, so a second run, a run stopped half way, or a run beside
the service makes no deal twice. Contracts and stage history written before deals (they have no
`opportunity_id` at all; today's code always writes one) then name their customer's first deal.
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from pymongo import UpdateOne

from crm_common import migration, outbox
from crm_common.events import new_event, stream_of
from crm_common.kernel import money

from ..opportunities import rules
from ..pipelines import stages

BATCH = 500
NOT_YET = {"open_opportunities": {"$exists": False}}
LINKED = ("contracts", "stage_history")  # what the customer's deal held before it was one


def first_deal(customer: dict, pipeline: dict, contracts: list[dict], now) -> dict:
    """The deal a stored customer was working, as the customer held it. Pure."""
    grading = customer.get("qualification") or {}
    amount = money.total(*(c["amount"] for c in contracts)) if contracts else grading.get("expected_amount")
    entered = customer.get("stage_entered_at") or customer.get("created_at") or now
    fields = {"name": customer["name"], "amount": amount, "source_lead_id": customer.get("source_lead_id")}
    deal = rules.new(customer, pipeline, fields, at=customer.get("created_at") or now, inherit=True)
    stage = customer["stage"] if stages.find(pipeline, customer["stage"]) else deal["stage"]
    deal.update(_id=first_id(customer["_id"]), stage=stage, stage_entered_at=entered,
                status=rules.status_of(pipeline, stage), loss_reason=customer.get("loss_reason"),
                contract_count=len(contracts), grade=grading.get("grade"), expected_amount=money.stored(grading.get("expected_amount")),
                expected_sign_date=grading.get("expected_sign_date"), active_at=entered, updated_at=now)
    return deal


def migrate(db, now=None) -> dict:
    """Make the first deal of each customer that has none, then let the stage history and contracts of
    before name it; how many of each were changed."""
    now = now or datetime.now(timezone.utc)
    pipelines = {p["_id"]: p for p in db.pipelines.find()}
    # The customers to do are found by one query: the server scans the collection for a query it has
    # no index for, so a page asked for at a time would scan it once a page (quadratic in customers).
    todo = db.customers.find(NOT_YET, {"_id": 1}).sort("_id", 1).batch_size(BATCH)
    made = 0
    for ids in migration.batches((c["_id"] for c in todo), BATCH):
        with db.client.start_session() as session:
            made += session.with_transaction(lambda s: _batch(db, s, ids, pipelines, now))
    return {"customers": made, "opportunities": made, **{name: _link(db[name]) for name in LINKED}}


def _batch(db, session, ids: list, pipelines: dict, now) -> int:
    """Of these customers, those still without deals are given theirs, in one transaction; how many."""
    customers = list(db.customers.find({"_id": {"$in": ids}, **NOT_YET}, session=session).sort("_id", 1))
    if not customers:
        return 0
    signed = [c["_id"] for c in customers if c.get("contract_count")]
    contracts: dict = {}
    for contract in db.contracts.find({"customer_id": {"$in": signed}}, {"customer_id": 1, "amount": 1},
                                      session=session) if signed else ():
        contracts.setdefault(contract["customer_id"], []).append(contract)
    deals, shown = [], []
    for customer in customers:
        pipeline = pipelines.get(customer.get("pipeline_id")) or copy.deepcopy(stages.DEFAULT_PIPELINE)
        deal = first_deal(customer, pipeline, contracts.get(customer["_id"], []), now)
        deals.append(deal)
        derived = {k: v for k, v in rules.customer_fields([deal]).items() if k in rules.DERIVED}
        shown.append(UpdateOne({"_id": customer["_id"], **NOT_YET}, {"$set": derived}))
    db.opportunities.insert_many(deals, session=session)
    db.customers.bulk_write(shown, ordered=False, session=session)
    events = [new_event("crm.opportunity.created", deal["_id"], {
        **rules.snapshot(deal), "by": "migration", "created_at": now.isoformat()},
        source="customer", time=now, key=deal["customer_id"]) for deal in deals]
    # each deal is new, so its event counter is too: written without reading it first
    writes: dict = {}
    for collection, op in outbox.writes(db, session, events, now, fresh=[stream_of(e) for e in events]):
        writes.setdefault(collection, []).append(op)
    for collection, ops in writes.items():
        db[collection].bulk_write(ops, ordered=False, session=session)
    return len(customers)


def _link(collection) -> int:
    """Rows written before deals (no opportunity_id at all) name their customer's first deal."""
    # one query for all of them, as for the customers: paging would scan the collection once a page
    rows = collection.find({"opportunity_id": {"$exists": False}}, {"customer_id": 1}).batch_size(BATCH)
    changed = 0
    for batch in migration.batches(rows, BATCH):
        changed += collection.bulk_write([UpdateOne({"_id": r["_id"], "opportunity_id": {"$exists": False}},
                                                    {"$set": {"opportunity_id": first_id(r["customer_id"])}})
                                          for r in batch], ordered=False).modified_count
    return changed


def first_id(customer_id: str) -> str:
    """The id of a stored customer's first deal: one per customer, whichever run made it."""
    return f"{customer_id}-1"


def main() -> None:
    migration.run("customer", migrate, verb="made or linked")


if __name__ == "__main__":
    main()
