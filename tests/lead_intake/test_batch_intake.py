"""A batch takes its rows in one transaction, with the outcome of submitting them one at a time."""
import pytest

from crm_common.testing.events import outbox_events
from lead_intake.intake import writes

from .test_work_leads import HOT, org

STORED = {"name": "Stored", "phone": "13700137000", "company": "云帆物流有限公司", "city": "北京"}
ROWS = [
    {**HOT, "name": "A", "phone": "13800138001", "email": "a@a.cn", "company": "华信电子科技有限公司", "city": "上海"},
    {"name": "A", "phone": "+86 138 0013 8001"},  # row 1 again: a touchpoint on the lead row 1 creates
    {**HOT, "name": "B", "phone": "13800138002", "email": "b@b.cn", "company": "華信電子科技（上海）有限公司",
     "city": "上海"},  # the same company key as row 1: a possible duplicate of it
    {"name": "A", "phone": "13800138001", "email": "new@a.cn"},  # a known contact with a new email: a duplicate,
    # the email only offered to row 1's lead
    {"name": "Stored", "phone": "+8613700137000"},  # the stored lead again
    {"name": "bad", "phone": "12"},
    {**HOT, "name": "C", "phone": "13800138003", "email": "c@c.cn"},
    {"name": "D", "wechat_id": "wx-d", "company": "云帆物流", "city": "北京市"},  # a possible duplicate of the stored lead
    {"name": "E", "email": "new@a.cn"},  # the email row 4 offered: a new lead, a possible duplicate of row 1's
]
WIPED = ("leads", "touchpoints", "identity_keys", "companies", "reviews", "outbox", "event_versions", "round_robin", "rate_windows")


def outcome(rt, results, stored_id):
    """What a user sees, with each lead named by the row that created it (ids differ between runs)."""
    names = {stored_id: "stored", **{r["id"]: f"row{r['row']}" for r in results if r["status"] == 201}}

    def named(value):
        return names.get(value, value)
    rows = [(r["status"], named(r.get("id")), r.get("dedup", {}).get("verdict")) for r in results]
    leads = sorted((named(lead["_id"]), lead["status"], lead["owner_id"], lead["touchpoint_count"],
                    sorted(lead["phones"]), sorted(lead["emails"]), lead.get("offered_keys", []))
                   for lead in rt.db.leads.find())
    events = sorted((named(e["subject"]), e["version"], e["type"], named(e["data"].get("owner_id")))
                    for e in outbox_events(rt.db))
    keys = sorted((k["_id"], named(k["record_id"]), bool(k.get("offered"))) for k in rt.db.identity_keys.find())
    reviews = sorted((named(r["lead_id"]), [(named(c["id"]), c["reason"]) for c in r["candidates"]])
                     for r in rt.db.reviews.find())
    return rows, leads, events, keys, reviews


def run(client, channel, rt, *, batch):
    for name in WIPED:
        rt.db[name].delete_many({})
    stored_id = client.post("/v1/leads", json=STORED, headers=channel).json["id"]
    if batch:
        report = client.post("/v1/leads:batch", json={"leads": ROWS}, headers=channel).json
        results = report["results"]
    else:
        results = []
        for number, row in enumerate(ROWS, start=1):
            answer = client.post("/v1/leads", json=row, headers=channel)
            results.append({"row": number, "status": answer.status_code,
                            **(answer.json if answer.status_code < 400 else {})})
    return outcome(rt, results, stored_id)


# both ways the writes can go: one bulkWrite command, or one command per collection (large batches)
@pytest.mark.parametrize("per_collection_from", [10_000, 1], ids=["one_command", "per_collection"])
def test_a_batch_ends_as_its_rows_submitted_one_at_a_time(client, channel, rt, admin, monkeypatch,
                                                          per_collection_from):
    monkeypatch.setattr(writes, "PER_COLLECTION_FROM", per_collection_from)
    org(rt, [("r1", 2), ("r2", 1)])
    client.put("/v1/rules/assignment", json={"default_team_id": "t1"}, headers={**admin, "If-Match": "*"})
    one_by_one = run(client, channel, rt, batch=False)
    batched = run(client, channel, rt, batch=True)
    assert batched == one_by_one
    rows, leads, events, _, reviews = batched
    assert [r[0] for r in rows] == [201, 200, 201, 200, 200, 400, 201, 201, 201]
    assert [r[2] for r in rows] == ["new", "duplicate", "possible_duplicate", "duplicate", "duplicate",
                                    None, "new", "possible_duplicate", "possible_duplicate"]
    assert reviews == [("row3", [("row1", "same_company_key")]), ("row8", [("stored", "same_company_key")]),
                       ("row9", [("row1", "offered_contact")])]
    owners = {lead[0]: lead[2] for lead in leads}
    assert [owners[row] for row in ("row1", "row3", "row7")] == ["r1", "r2", "r1"]  # weighted round robin, 2:1
    # rows 2 and 4 are touchpoints on it; row 4's new email was only offered to it, so row 9, who
    # gave it as their own, holds it now
    assert ("row1", "assigned", "r1", 3, ["+8613800138001"], ["a@a.cn"], []) in leads
    assert ("email:new@a.cn", "row9", False) in batched[3]
    assert ("row1", 3, "crm.lead.resubmitted", "r1") in events  # received, assigned, then row 2's
    assert ("row1", 4, "crm.lead.resubmitted", "r1") in events  # and row 4's

