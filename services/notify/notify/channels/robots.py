"""Group robots and webhooks an admin registers, and their rate limits.

DingTalk and WeCom take 20 messages a minute per robot, Feishu 5 a second, counted where the
message arrives. Each robot keeps the times of its last `count` sends; a send may go when fewer were
sent or one of them left the window (a sliding window, checked and taken in one atomic update so
replicas share it). A send in flight holds its slot stamped at the latest time it could arrive; when
it ends the stamp becomes the time it ended, which is after the receiver saw it. So no window at the
receiver holds more than `count`, however slow a send was. Otherwise the delivery waits until a slot
frees: queued, never dropped.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crm_common.mongo import find_one_and_update
from crm_common.paging import new_id

from . import sealing
from .sending import TIMEOUT

KINDS = ("dingtalk", "wecom", "feishu", "webhook")
LIMITS = {"dingtalk": (20, 60), "wecom": (20, 60), "feishu": (5, 1), "webhook": None}  # (count, seconds)


def create(rt, body: dict) -> dict:
    robot_id = new_id()
    robot = {"_id": robot_id, "name": body["name"], "kind": body["kind"], "url": body["url"],
             "secret": sealing.seal(rt, body.get("secret"), "robot", robot_id), "user_ids": body.get("user_ids", []),
             "department_ids": body.get("department_ids", []), "active": True, "recent": [],
             "created_at": rt.clock.now()}
    rt.insert("robots", robot)
    return robot


def for_sending(rt, robot: dict) -> dict:
    """The robot with its signing secret opened, for the one send that needs it."""
    return {**robot, "secret": sealing.unseal(rt, robot.get("secret"), "robot", robot["_id"])}


def wall_now() -> datetime:
    """Rate limits are the receiver's, on real time: the dev clock's offset must not lift them."""
    return datetime.now(timezone.utc)


def take_slot(rt, robot: dict) -> tuple[datetime | None, datetime | None]:
    """(None, stamp) if this send may go now, its slot held by `stamp`; else (when to try again, None)."""
    limit = LIMITS.get(robot["kind"])
    if not limit:
        return None, None
    count, seconds = limit
    wall = wall_now()
    stamp = wall + timedelta(seconds=TIMEOUT + 1)  # in flight: it arrives before this, if at all
    taken = find_one_and_update(
        rt.db.robots, {"_id": robot["_id"], "$or": [{f"recent.{count - 1}": {"$exists": False}},
                                                    {"recent": {"$lte": wall - timedelta(seconds=seconds)}}]},
        {"$push": {"recent": {"$each": [stamp], "$sort": 1, "$slice": -count}}}, projection={"_id": 1})
    if taken is not None:
        return None, stamp
    recent = (rt.db.robots.find_one({"_id": robot["_id"]}, {"recent": 1}) or {}).get("recent") or [wall]
    oldest = min(recent)
    # A slot held by a send in flight frees when that send ends, usually well before its stamp.
    delay = oldest + timedelta(seconds=seconds) - wall if oldest <= wall else timedelta(milliseconds=200)
    return rt.clock.now() + delay + timedelta(milliseconds=10), None


def end_send(rt, robot: dict, stamp: datetime | None) -> None:
    """The send holding `stamp` is over: its slot now counts from this moment."""
    if stamp is not None:
        rt.db.robots.update_one({"_id": robot["_id"], "recent": stamp}, {"$set": {"recent.$": wall_now()}})
