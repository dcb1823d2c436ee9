"""Group robots and webhooks an admin registers, and their rate limits.

DingTalk and WeCom take 20 messages a minute per robot, Feishu 5 a second. Each robot keeps the
times of its last `count` sends; a send may go when fewer were sent or the oldest left the window
(a sliding window, checked and taken in one atomic update so replicas share it). Otherwise the
delivery waits until a slot frees: queued, never dropped.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crm_common.mongo import find_one_and_update
from crm_common.paging import new_id

from . import sealing

KINDS = ("dingtalk", "wecom", "feishu", "webhook")
LIMITS = {"dingtalk": (20, 60), "wecom": (20, 60), "feishu": (5, 1), "webhook": None}  # (count, seconds)


def create(rt, body: dict) -> dict:
    robot_id = new_id()
    robot = {"_id": robot_id, "name": body["name"], "kind": body["kind"], "url": body["url"],
             "secret": sealing.seal(rt, body.get("secret"), "robot", robot_id), "user_ids": body.get("user_ids", []),
             "department_ids": body.get("department_ids", []), "active": True, "recent": [],
             "created_at": rt.clock.now()}
    rt.db.robots.insert_one(robot)
    return robot


def for_sending(rt, robot: dict) -> dict:
    """The robot with its signing secret opened, for the one send that needs it."""
    return {**robot, "secret": sealing.unseal(rt, robot.get("secret"), "robot", robot["_id"])}


def wall_now() -> datetime:
    """Rate limits are the receiver's, on real time: the dev clock's offset must not lift them."""
    return datetime.now(timezone.utc)


def take_slot(rt, robot: dict) -> datetime | None:
    """None if this send may go now (and the slot is taken), else when to try again."""
    limit = LIMITS.get(robot["kind"])
    if not limit:
        return None
    count, seconds = limit
    wall = wall_now()
    window_start = wall - timedelta(seconds=seconds)
    taken = find_one_and_update(
        rt.db.robots, {"_id": robot["_id"], "$or": [{f"recent.{count - 1}": {"$exists": False}},
                                                    {"recent.0": {"$lte": window_start}}]},
        {"$push": {"recent": {"$each": [wall], "$slice": -count}}}, projection={"_id": 1})
    if taken is not None:
        return None
    oldest = (rt.db.robots.find_one({"_id": robot["_id"]}, {"recent": 1}) or {}).get("recent") or [wall]
    return rt.clock.now() + (oldest[0] + timedelta(seconds=seconds) - wall) + timedelta(milliseconds=10)
