"""Reminders in the reports as notify really announces them: at default preferences a reminder goes to
the inbox only, and still makes its customer overdue and counts as sent; a reminder sent to a user on
several channels counts once."""
from datetime import datetime, timezone

from crm_common.consumer import deliver
from crm_common.testing.events import outbox_events
from notify.app import create_app as notify_app
from notify.deliveries import outbound as deliveries
from notify.preferences import store as prefs
from notify.service import SPEC

from .history import EAST, History, at

PERIOD = {"from": "2026-06-01", "to": "2026-06-30"}


def history(rt, *customers) -> list[dict]:
    """rep-a (east) gets level-B customers on 06-20: their cadence (7 days) falls due 06-27 10:00 UTC."""
    h = History(rt)
    h.user("rep-a")
    for cid in customers:
        h.customer(cid, "created", "06-20", owner_id="rep-a", department_path=EAST)
    return h.events


def notify_at(app_for):
    """Notify beside reporting on the test servers, and a way to set its clock."""
    nrt = app_for(notify_app, "notify").extensions["crm"]

    def clock(day):
        nrt.clock.set_offset(datetime.fromisoformat(at(day)) - datetime.now(timezone.utc))
    return nrt, clock


def through_notify(nrt, clock, events) -> None:
    """The events reach notify on 06-20; a week later its scheduling pass fires what fell due."""
    clock("06-20")
    handlers = SPEC.handlers(nrt)
    for event in events:
        deliver(nrt, "notify", handlers, event)
    clock("06-28")
    nrt.scheduler.run_now("reminders-due")


def reps(get) -> dict:
    return {i["user_id"]: i for i in get("/v1/reports/reps", **PERIOD)["items"]}


def test_an_inbox_only_cadence_reminder_not_followed_up_makes_its_customer_overdue(rt, app_for, feed, at_now, get):
    nrt, clock = notify_at(app_for)
    events = history(rt, "C9")
    through_notify(nrt, clock, events)  # rep-a's preferences are the defaults: the inbox only
    sent = outbox_events(nrt.db, "crm.notification.sent")
    assert sorted(e["data"]["kind"] for e in sent) == ["cadence", "customer_assigned"]
    feed(events + sent[::-1] + sent)  # late, reversed, again

    a = reps(get)["rep-a"]
    assert (a["overdue_reminders"], a["reminders_sent"], a["reminders_failed"]) == (1, 2, 0)
    assert [e["customer_id"] for e in get("/v1/workbench", "rep-a", "rep")["overdue"]] == ["C9"]


def test_a_reminder_sent_to_a_user_on_several_channels_counts_once(rt, app_for, feed, at_now, get):
    nrt, clock = notify_at(app_for)
    events = history(rt, "C9", "C10")
    prefs.put(nrt, "rep-a", {"channels": {"default": ["inbox", "email"]}, "email": "a@example.cn"})
    through_notify(nrt, clock, events)
    failing = nrt.db.deliveries.find_one({"kind": "cadence", "customer_id": "C10"})
    nrt.db.deliveries.update_one({"_id": failing["_id"]}, {"$set": {"attempts": 99}})  # its last attempt
    while row := deliveries.claim(nrt, "w"):  # the worker's outcome, without an SMTP server
        ok = row["_id"] != failing["_id"]
        deliveries.record(nrt, row, "w", {"ok": True} if ok else {"ok": False, "error": "550 mailbox unavailable"})
    sent, failed = (outbox_events(nrt.db, f"crm.notification.{s}") for s in ("sent", "failed"))
    assert sorted(e["data"]["channel"] for e in sent) == ["email"] * 3 + ["inbox"] * 4 and len(failed) == 1
    feed(events + failed + sent[::-1] + sent)

    # four reminders reached rep-a (a customer_assigned and a cadence per customer), each by the inbox
    # and all but one by email too; C10's cadence email failed, but its inbox item reached rep-a
    a = reps(get)["rep-a"]
    assert (a["reminders_sent"], a["reminders_failed"], a["overdue_reminders"]) == (4, 0, 2)
