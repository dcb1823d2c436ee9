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

from datetime import timedelta

from crm_common.paging import new_id

from .. import state
from ..preferences import store as prefs
from . import messages, settings as config

ESCALATING = ("cadence", "next_contact", "pool_claimed", "lead_assigned")  # to-dos whose neglect goes up the chain


def fire(rt, session, due: list[dict]) -> int:
    """Deliver `due` reminders (already taken by this caller); returns the number of inbox items."""
    if not due:
        return 0
    now, s = rt.clock.now(), config.reminder_settings(rt, session)
    # planned reminders carry their customer's snapshot (plan.snapshot); only the others read it
    customers = state.by_id(rt.db.customers, [r.get("customer_id") for r in due if not r.get("customer")], session)
    customers.update({r["customer_id"]: r["customer"] for r in due if r.get("customer")})
    owners = {r["_id"]: _owner(r, customers.get(r.get("customer_id"))) for r in due}
    users = state.by_id(rt.db.users, owners.values(), session)
    managers = state.managers_of(rt, list(users.values()), session) if any(r["to"] == "manager" for r in due) else {}
    targets = {r["_id"]: _recipients(r, owners[r["_id"]], users, managers) for r in due}
    everyone = {u for t in targets.values() for u in t}
    names = {u["_id"]: u.get("username") for u in users.values()}
    pref = prefs.of(rt, everyone, session)
    robots = list(rt.db.robots.find({"active": True}, session=session)) if everyone else []
    groups = {u["_id"]: u.get("department_path") or [] for u in state.by_id(rt.db.users, everyone, session).values()}
    items, announced, outbound, follow = [], [], [], []
    for r in due:
        customer = customers.get(r.get("customer_id"))
        for user_id in targets[r["_id"]]:
            p = pref[user_id]
            text = messages.compose(r, customer, p["language"], now, names)
            common = {"kind": r["kind"], "user_id": user_id, "customer_id": r.get("customer_id"),
                      "lead_id": r.get("lead_id"), "due_at": r.get("due_at"), **text, "created_at": now}
            send_at = now if r["kind"] in s["critical_kinds"] else prefs.after_quiet_hours(p, now)
            for channel in prefs.channels_for(p, r["kind"]):
                key = f"{r['_id']}:{user_id}:{channel}"
                if channel == "inbox":
                    items.append({"_id": new_id(), "key": r["_id"], "read_at": None, **common})
                    announced.append(rt.event("crm.notification.sent", key, _inbox_sent(items[-1], key, now)))
                elif channel == "email" and p.get("email"):
                    outbound.append(_row(key, r["_id"], channel, None, common, send_at, to=p["email"]))
                elif channel in ("robot", "webhook"):
                    for robot in _serving(robots, user_id, groups.get(user_id, []), channel):
                        outbound.append(_row(f"{key}:{robot['_id']}", r["_id"], channel, robot, common, send_at))
        follow += _follow_ons(r, s, now, reached=bool(targets[r["_id"]]))
    if items:
        rt.db.inbox.insert_many(items, ordered=False, session=session)
        rt.publish(session, *announced)
    if outbound:
        rt.db.deliveries.insert_many(outbound, ordered=False, session=session)
    from . import store as reminders  # a cycle: reminders fires through here
    reminders.insert_many(rt, session, [f for f in follow if f["kind"] == "overdue"])
    reminders.schedule_many(rt, session, [f for f in follow if f["kind"] != "overdue"])
    return len(items)


def _owner(reminder: dict, customer: dict | None) -> str | None:
    if reminder.get("customer_id") and customer is not None:
        return None if customer.get("deleted") else customer.get("owner_id")  # follows owner changes
    return reminder.get("user_id")


def _recipients(reminder: dict, owner: str | None, users: dict, managers: dict) -> list[str]:
    to = reminder.get("to", "owner")
    if to == "user":  # told to one person by the event itself (e.g. the rep who claimed it)
        return [reminder["user_id"]] if reminder.get("user_id") else []
    if owner is None:
        return []  # in the pool or deleted: nobody to remind
    if to == "owner":
        return [owner]
    if to == "supervisor":
        boss = (users.get(owner) or {}).get("supervisor_id")
        return [boss] if boss else []
    return [m for m in managers.get(owner, []) if m != owner]


def _serving(robots: list[dict], user_id: str, path: list[str], channel: str) -> list[dict]:
    kinds = ("webhook",) if channel == "webhook" else ("dingtalk", "wecom", "feishu")
    return [b for b in robots if b["kind"] in kinds
            and (user_id in b.get("user_ids", []) or set(b.get("department_ids", [])) & set(path))]


def _row(key, reminder_key, channel, robot, common, send_at, to=None) -> dict:
    return {"_id": new_id(), "key": key, "reminder_key": reminder_key, "channel": channel,
            "robot_id": robot and robot["_id"], "robot_kind": robot and robot["kind"], "to": to, **common,
            "status": "pending", "attempts": 0, "next_attempt_at": send_at, "last_error": None}


def _inbox_sent(item: dict, key: str, now) -> dict:
    """The item's crm.notification.sent: delivered the moment it is stored, at the first attempt."""
    return {"delivery_id": item["_id"], "key": key, "reminder_key": item["key"], "channel": "inbox",
            "kind": item["kind"], "user_id": item["user_id"], "customer_id": item.get("customer_id"),
            "lead_id": item.get("lead_id"), "robot_id": None, "attempts": 1, "sent_at": now.isoformat()}


def _follow_ons(r: dict, s: dict, now, reached: bool) -> list[dict]:
    """Escalation steps of a neglected to-do, the next cadence reminder while no follow-up comes, and
    next year's birthday or anniversary."""
    from . import plan  # a cycle: plans schedule through reminders, which fire through here
    kind, data = r["kind"], r.get("data") or {}
    base = {k: r.get(k) for k in ("customer_id", "lead_id", "user_id")}
    if kind == "cadence":
        following = plan.next_cadence(r, now) if reached else []  # nobody to remind: the series ends
        # a series escalates once, from its first reminder: the steps already climb from there
        return following + (_first_step(r, base, s) if data.get("occurrence", 1) == 1 else [])
    if kind in ESCALATING and (r.get("customer_id") or r.get("lead_id")):
        return _first_step(r, base, s)
    if kind == "overdue" and data.get("step") == 1 and s["escalation_second_step_days"] is not None:
        return [{**base, "_id": f"overdue:{data['origin_key']}:2", "kind": "overdue", "to": "manager",
                 "due_at": r["due_at"], "fire_at": r["fire_at"] + timedelta(days=s["escalation_second_step_days"]),
                 "data": {**data, "step": 2}}]
    if kind in ("birthday", "anniversary"):
        return plan.after(r, s)
    return []


def _first_step(r: dict, base: dict, s: dict) -> list[dict]:
    return [{**base, "_id": f"overdue:{r['_id']}:1", "kind": "overdue", "to": "supervisor", "due_at": r["due_at"],
             "fire_at": r["due_at"] + timedelta(days=s["overdue_after_days"]),
             "data": {"origin": r["kind"], "origin_key": r["_id"], "step": 1}}]
