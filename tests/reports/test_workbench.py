"""The rep's workbench: due today, overdue, high intent but stalled, pinned (issue 11, must-show 8)."""
from datetime import datetime, timedelta, timezone

from reporting.model import store
from reporting.model.days import DEFAULT_TIMEZONE as TIMEZONE
from reporting.workbench import lists as workbench

from .history import EAST, NOW, WEST, History, at, build


def test_a_reps_workbench(rt, feed, at_now, get, client, token_for):
    events = build(rt)
    h = History(rt)  # later events, continuing two customers' snapshots
    h.resume(events, "C2", "C6")
    h.customer("C2", "followed_up", "06-30", followup_id="F3", channel="phone", summary="s", goal_met=True,
               next_contact_at="2026-06-30T08:00:00+00:00", followed_up_at="2026-06-30T01:00:00+00:00")
    h.customer("C6", "updated", "06-29", changed_fields=["milestones"], milestones={"pinned": True},
               updated_at=at("06-29"))
    feed(events + h.events)

    mine = get("/v1/workbench", "rep-a", "rep")
    assert [e["customer_id"] for e in mine["overdue"]] == ["C1"]          # due 06-20, not followed up since
    assert mine["overdue"][0]["days_since_followup"] == 20
    assert [(e["customer_id"], e["stage"], e["days_in_stage"], e["next_step"])
            for e in mine["stalled_high_intent"]] == [("C1", "needs_confirmed", 20, "send_proposal")]
    assert mine["today"] == [] and mine["pinned"] == []

    theirs = get("/v1/workbench", "m-west", "manager", WEST, owner_id="rep-b")
    assert [e["customer_id"] for e in theirs["today"]] == ["C2"]          # 16:00 in Shanghai today
    assert [e["customer_id"] for e in theirs["pinned"]] == ["C6"]
    assert [e["customer_id"] for e in theirs["overdue"]] == ["C6"]       # reminded 06-27, never followed up
    assert theirs["today"][0]["days_since_followup"] == 0
    outside = client.get("/v1/workbench?owner_id=rep-b", headers=token_for("m-east", "manager", EAST))
    assert outside.status_code == 403
    assert client.get("/v1/workbench?owner_id=rep-b", headers=token_for("rep-a", "rep")).status_code == 403

    # a first screen shows the most urgent few: `more` says a list was cut
    models = store.live(rt.db)
    assert workbench.lists(models, "rep-b", NOW, TIMEZONE, limit=1)["more"] == dict.fromkeys(
        ("overdue", "today", "stalled_high_intent", "pinned", "tasks_today", "tasks_overdue"), False)
    cut = workbench.lists(models, "rep-b", NOW, TIMEZONE, limit=0)
    assert cut["more"] == {"overdue": True, "today": True, "stalled_high_intent": False, "pinned": True,
                           "tasks_today": False, "tasks_overdue": False}  # rep-b holds no task
    assert cut["overdue"] == cut["today"] == cut["pinned"] == []


def test_overdue_lists_every_past_date_and_no_customer_without_a_next_contact(rt):
    """Overdue is a range with both ends (SecantusDB then skips the customers with no next contact):
    its lower end must still take in any past date."""
    models = store.live(rt.db)
    base = {"owner_id": "rep-z", "stage": "proposal", "last_followup_at": None, "high_intent": False,
            "pinned": False}
    models.customers.insert_many([
        {**base, "_id": "Z-old", "name": "old", "next_contact_at": datetime(1901, 1, 1, tzinfo=timezone.utc)},
        {**base, "_id": "Z-none", "name": "none", "next_contact_at": None},
        {**base, "_id": "Z-late", "name": "late", "next_contact_at": NOW - timedelta(days=3)},
        {**base, "_id": "Z-later", "name": "later", "next_contact_at": NOW + timedelta(days=3)}])
    overdue = workbench.lists(models, "rep-z", NOW, TIMEZONE)["overdue"]
    assert [e["customer_id"] for e in overdue] == ["Z-old", "Z-late"]


def test_out_of_range_or_malformed_workbench_parameters_are_a_400_naming_them(client, token_for):
    """Issue 21, point 9: `stalled_days=999999999` answered 500 (a date that far back does not exist)."""
    rep = token_for("rep-a", "rep")
    for query, field in (("stalled_days=999999999", "stalled_days"), ("stalled_days=0", "stalled_days"),
                         ("stalled_days=-3", "stalled_days"), ("stalled_days=two", "stalled_days"),
                         ("tz=Mars/Olympus", "tz"), ("tz=" + "x" * 65, "tz")):
        refused = client.get(f"/v1/workbench?{query}", headers=rep)
        assert refused.status_code == 400, (query, refused.status_code)
        assert refused.mimetype == "application/problem+json"
        assert [e["field"] for e in refused.json["errors"]] == [field], query
    assert client.get("/v1/workbench?stalled_days=3650&tz=Asia/Shanghai", headers=rep).status_code == 200
