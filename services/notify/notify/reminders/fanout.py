"""A reminder that fell due becomes messages: one inbox item and one delivery row per recipient and
channel, each under its occurrence key `<reminder key>:<user>:<channel>[:<robot>]` (unique index).

Everything is written with bulk inserts in the caller's transaction, together with the reminders'
change to `sent`, so a re-run or a second replica finds nothing left to send. An inbox item is
delivered there and then: its `crm.notification.sent` (channel `inbox`, subject its occurrence key)
goes into the outbox in the same transaction, so it is published once, with the item. Outbound
channels (email, robots, webhooks) are only queued here: the worker sends them outside any
transaction and publishes their outcome.
"""
from __future__ import annotations

from crm_common.paging import new_id

from .. import state
from ..channels import robots
from ..preferences import rules as preference_rules, store as preferences
from . import messages, rules, settings, store


def fire(rt, session, due: list[dict]) -> int:
    """Deliver `due` reminders (already taken by this caller); returns the number of inbox items."""
    if not due:
        return 0
    now, s = rt.clock.now(), settings.reminder_settings(rt, session)
    # planned reminders carry their customer's snapshot (rules.snapshot); only the others read it
    customers = state.by_id(rt.db.customers, [r.get("customer_id") for r in due if not r.get("customer")], session)
    customers.update({r["customer_id"]: r["customer"] for r in due if r.get("customer")})
    owners = {r["_id"]: rules.owner_of(r, customers.get(r.get("customer_id"))) for r in due}
    users = state.by_id(rt.db.users, owners.values(), session)
    managers = state.managers_of(rt, list(users.values()), session) if any(r["to"] == "manager" for r in due) else {}
    targets = {r["_id"]: rules.recipients(r, owners[r["_id"]], users, managers) for r in due}
    everyone = {u for t in targets.values() for u in t}
    names = {u["_id"]: u.get("username") for u in users.values()}
    pref = preferences.of(rt, everyone, session)
    registered = list(rt.db.robots.find({"active": True}, session=session)) if everyone else []
    groups = {u["_id"]: u.get("department_path") or [] for u in state.by_id(rt.db.users, everyone, session).values()}
    items, announced, outbound, follow = [], [], [], []
    for r in due:
        customer = customers.get(r.get("customer_id"))
        for user_id in targets[r["_id"]]:
            p = pref[user_id]
            text = messages.compose(r, customer, p["language"], now, names, p.get("timezone"))
            common = {"kind": r["kind"], "user_id": user_id, "customer_id": r.get("customer_id"),
                      "lead_id": r.get("lead_id"), "due_at": r.get("due_at"), **text, "created_at": now,
                      **({"caused_by": r["caused_by"]} if r.get("caused_by") else {}),  # a rule's notice
                      **({"task_id": r["task_id"]} if r.get("task_id") else {})}
            send_at = preference_rules.send_at(p, r["kind"], now, s["critical_kinds"])
            for channel in preference_rules.channels_for(p, r["kind"]):
                key = f"{r['_id']}:{user_id}:{channel}"
                if channel == "inbox":
                    items.append({"_id": new_id(), "key": r["_id"], "read_at": None, **common})
                    announced.append(rt.event("crm.notification.sent", key, _inbox_sent(items[-1], key, now),
                                              caused_by=r.get("caused_by")))
                elif channel == "email" and p.get("email"):
                    outbound.append(_row(key, r["_id"], channel, None, common, send_at, to=p["email"]))
                elif preference_rules.userid_for(p, channel):  # DingTalk or WeCom, to the rep in person
                    outbound.append(_row(key, r["_id"], channel, None, common, send_at,
                                         to=preference_rules.userid_for(p, channel)))
                elif channel in ("robot", "webhook"):
                    for robot in robots.serving(registered, user_id, groups.get(user_id, []), channel):
                        outbound.append(_row(f"{key}:{robot['_id']}", r["_id"], channel, robot, common, send_at))
        follow += rules.follow_ons(r, s, now, reached=bool(targets[r["_id"]]))
    if items:
        rt.db.inbox.insert_many(items, ordered=False, session=session)
        rt.publish(session, *announced)
    if outbound:
        rt.db.deliveries.insert_many(outbound, ordered=False, session=session)
    # a task's first step may be planned already by its crm.task.overdue, under the same key
    store.insert_many(rt, session, [f for f in follow if f["kind"] == "overdue" and not f.get("task_id")])
    store.schedule_many(rt, session, [f for f in follow if f["kind"] != "overdue" or f.get("task_id")])
    return len(items)


def _row(key, reminder_key, channel, robot, common, send_at, to=None) -> dict:
    return {"_id": new_id(), "key": key, "reminder_key": reminder_key, "channel": channel,
            "robot_id": robot and robot["_id"], "robot_kind": robot and robot["kind"], "to": to, **common,
            "status": "pending", "attempts": 0, "next_attempt_at": send_at, "last_error": None}


def _inbox_sent(item: dict, key: str, now) -> dict:
    """The item's crm.notification.sent: delivered the moment it is stored, at the first attempt."""
    return {"delivery_id": item["_id"], "key": key, "reminder_key": item["key"], "channel": "inbox",
            "kind": item["kind"], "user_id": item["user_id"], "customer_id": item.get("customer_id"),
            "lead_id": item.get("lead_id"), "robot_id": None, "attempts": 1, "sent_at": now.isoformat()}
