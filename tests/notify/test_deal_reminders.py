"""Reminders that follow a customer's deals and contracts (DOMAIN §2 and §4): each open deal staying in its
stage past the expected days, the approvers of a contract waiting for them, and renewals only of contracts
that count."""
from .conftest import inbox, iso


def deal(feed, kind, deal_id, stage, days, *, status="open", name=None, **extra):
    """A crm.opportunity.* event of customer C1's deal, at notify's clock."""
    at = {"created": "created_at"}.get(kind, "changed_at")
    data = {"opportunity_id": deal_id, "customer_id": "C1", "name": name or f"Deal {deal_id}", "owner_id": "rep-1",
            "department_path": ["D1"], "pipeline_id": "default", "stage": stage, "status": status, "amount": None,
            "by": "rep-1", at: iso(feed.now()), "expected_days": days, **extra}
    if kind == "stage_changed":
        data.update({"from": "lead_acquired", "to": stage})
    return feed.send(f"crm.opportunity.{kind}", deal_id, data)


def contract(feed, kind, contract_id, awaiting, **extra):
    """A crm.contract.* event of customer C1's contract, `awaiting` the step it waits for next."""
    return feed.send(f"crm.contract.{kind}", contract_id, {
        "contract_id": contract_id, "customer_id": "C1", "opportunity_id": "O1", "owner_id": "rep-1",
        "title": "Annual licence", "number": None, "amount": "1500000.00", "start_date": "2026-01-01",
        "end_date": iso(feed.now())[:10], "status": "pending_approval" if awaiting else "approved", "by": "rep-1",
        "at": iso(feed.now()), "comment": None,
        "awaiting": awaiting and {"step": awaiting[0], "approver_ids": awaiting[1], "role": None}, **extra})


def stays(rt):
    return [(i["title"], i["facts"]["deal_stage"]) for i in inbox(rt, kind="stage_stay")]


def test_each_open_deal_past_its_stage_days_reminds_the_owner_naming_the_deal(rt, feed, travel):
    feed.user("rep-1")
    feed.customer("C1")
    deal(feed, "created", "O1", "lead_acquired", [1, 3], name="First order")
    deal(feed, "created", "O2", "lead_acquired", [1, 3], name="Upsell")
    deal(feed, "stage_changed", "O1", "initial_contact", [3, 7], name="First order")  # moved on in time
    deal(feed, "stage_changed", "O2", "proposal", [14, 21], name="Upsell")
    deal(feed, "created", "O3", "lead_acquired", [1, 3], name="Lost one")
    deal(feed, "stage_changed", "O3", "lost", None, status="lost", name="Lost one")
    travel(days=4)
    assert stays(rt) == []  # every deal left its first stage before its 3 days were up; a lost deal is done
    travel(days=8)
    assert stays(rt) == [("商机停滞：First order", "initial_contact")]
    [item] = inbox(rt, kind="stage_stay")
    assert "Acme C1" in item["body"] and "7" in item["body"] and item["facts"]["opportunity_id"] == "O1"
    travel(days=22)
    assert stays(rt) == [("商机停滞：First order", "initial_contact"), ("商机停滞：Upsell", "proposal")]


def test_approvers_are_reminded_until_they_decide_and_renewals_wait_for_the_approval(rt, feed, travel):
    feed.user("rep-1", supervisor_id="mgr-1")
    feed.user("mgr-1", role="manager")
    feed.user("admin-1", role="admin", department_id=None, path=())
    feed.customer("C1")
    contract(feed, "submitted", "K1", ("manager", ["mgr-1"]))
    [notice] = inbox(rt, "mgr-1", kind="approval")
    assert notice["title"] == "合同待你审批：Annual licence" and "1500000.00" in notice["body"], notice
    assert rt.db.reminders.count_documents({"customer_id": "C1", "kind": "renewal"}) == 0  # pending: no renewal
    travel(hours=25)
    assert len(inbox(rt, "mgr-1", kind="approval")) == 2  # still waiting a day later: reminded again
    contract(feed, "approved", "K1", ("admin", []), step="manager", by="mgr-1", final=False)
    assert [i["read_at"] is not None for i in inbox(rt, "mgr-1", kind="approval")] == [True, True]
    [second] = inbox(rt, "admin-1", kind="approval")
    assert second["facts"]["approval_step"] == 2
    contract(feed, "approved", "K1", None, step="admin", by="admin-1", final=True)
    assert inbox(rt, "admin-1", kind="approval")[0]["read_at"] is not None
    travel(hours=80)
    assert len(inbox(rt, "mgr-1", kind="approval")) == 2 and len(inbox(rt, "admin-1", kind="approval")) == 1
    contract(feed, "submitted", "K2", ("manager", ["mgr-1"]))
    contract(feed, "rejected", "K2", None, status="rejected", step="manager", by="mgr-1", comment="too cheap")
    contract(feed, "submitted", "K3", ("manager", ["mgr-1"]))
    feed.customer("C1", kind="deleted")  # its undecided contracts are withdrawn with it
    travel(hours=140)
    notices = inbox(rt, "mgr-1", kind="approval")
    assert [i["key"].split(":")[1] for i in notices] == ["K1", "K1", "K2", "K3"]
    assert all(i["read_at"] is not None for i in notices)


def test_a_high_value_deal_changing_stage_tells_the_supervisor_once_naming_the_deal(rt, feed):
    feed.user("boss-1")
    feed.user("rep-1", supervisor_id="boss-1")
    feed.customer("C1")  # the customer itself is not graded: its deal is
    deal(feed, "stage_changed", "O1", "proposal", [14, 21], name="Big one", grade="large")
    deal(feed, "stage_changed", "O2", "proposal", [14, 21], name="Small one", grade="small")
    [notice] = inbox(rt, "boss-1", kind="stage_change")
    assert (notice["facts"]["opportunity"], notice["facts"]["to_stage"]) == ("Big one", "proposal")
    moved = rt.db.reminders.find_one({"kind": "stage_change"})
    feed.send("crm.customer.stage_changed", "C1", {  # the same move, as the customer shows it
        **feed.snapshot("C1", stage="proposal", grade="large"), "from": "lead_acquired", "to": "proposal",
        "pipeline_id": "default", "by": "rep-1", "changed_at": moved["_id"].split(":", 2)[2]})
    assert len(inbox(rt, "boss-1", kind="stage_change")) == 1
