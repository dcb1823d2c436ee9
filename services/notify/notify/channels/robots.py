"""Group robots (DingTalk, WeCom, Feishu) and webhooks an admin registers, who each serves, their
rate limits, and the signed message each robot kind takes.

DingTalk and WeCom take 20 messages a minute per robot, Feishu 5 a second, counted where the
message arrives. Each robot keeps the times of its last `count` sends; a send may go when fewer were
sent or one of them left the window (a sliding window, checked and taken in one atomic update so
replicas share it). A send in flight holds its slot stamped at the latest time it could arrive; when
it ends the stamp becomes the time it ended, which is after the receiver saw it. So no window at the
receiver holds more than `count`, however slow a send was. Otherwise the delivery waits until a slot
frees: queued, never dropped.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import datetime, timedelta, timezone

from crm_common import audit
from crm_common.mongo import find_one_and_update
from crm_common.paging import new_id

from . import masking, sealing, webhooks
from .sending import TIMEOUT, SendError, post, text_of

KINDS = ("dingtalk", "wecom", "feishu", "webhook")
GROUP_KINDS = ("dingtalk", "wecom", "feishu")
LIMITS = {"dingtalk": (20, 60), "wecom": (20, 60), "feishu": (5, 1), "webhook": None}  # (count, seconds)


def create(rt, body: dict) -> dict:
    robot_id = new_id()
    # The URL is a credential too (WeCom's key, DingTalk's access_token): sealed, and shown masked.
    robot = {"_id": robot_id, "name": body["name"], "kind": body["kind"],
             "url": sealing.seal(rt, body["url"], "robot-url", robot_id), "url_shown": masking.masked_url(body["url"]),
             "secret": sealing.seal(rt, body.get("secret"), "robot", robot_id), "user_ids": body.get("user_ids", []),
             "department_ids": body.get("department_ids", []), "active": True, "recent": [],
             "created_at": rt.clock.now()}
    def write(session):
        rt.db.robots.insert_one(robot, session=session)
        return robot  # a retry whose reply was lost answers with the robot made then
    return audit.recorded(rt, "robot", robot_id, None, robot, write)  # its URL and secret masked


def for_sending(rt, robot: dict) -> dict:
    """The robot with its URL and signing secret opened, for the one send that needs them."""
    return {**robot, "url": sealing.unseal(rt, robot["url"], "robot-url", robot["_id"]),
            "secret": sealing.unseal(rt, robot.get("secret"), "robot", robot["_id"])}


def shown_url(robot: dict) -> str:
    """The URL an admin sees: masked (a robot stored before sealing keeps its URL as a str)."""
    stored = robot.get("url")
    return robot.get("url_shown") or (masking.masked_url(stored) if isinstance(stored, str) else "")


def serving(robots: list[dict], user_id: str, path: list[str], channel: str) -> list[dict]:
    """The registered robots (channel `robot`) or webhooks (channel `webhook`) that serve `user_id`: named
    for them, or for a department on their path."""
    kinds = ("webhook",) if channel == "webhook" else GROUP_KINDS
    return [b for b in robots if b["kind"] in kinds
            and (user_id in b.get("user_ids", []) or set(b.get("department_ids", [])) & set(path))]


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


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64 HMAC-SHA256 over `timestamp + "\\n" + secret`, keyed with the secret, URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(mac).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu keys the HMAC with `timestamp + "\\n" + secret` and signs an empty message."""
    return base64.b64encode(hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def send(robot: dict, d: dict, now_s: float, allowed: list[str]) -> None:
    """One message to a registered robot (a webhook: webhooks.send); `allowed`: the private hosts an admin
    allowed (addresses.refusal)."""
    kind, text = robot["kind"], text_of(d)
    url, body, headers = robot["url"], None, {"Content-Type": "application/json"}
    if kind == "dingtalk":
        ts = int(now_s * 1000)
        if robot.get("secret"):
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(robot['secret'], ts)}"
        body = {"msgtype": "markdown", "markdown": {"title": d["title"], "text": text}}
    elif kind == "wecom":  # the robot's key is already in its URL
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    elif kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if robot.get("secret"):
            ts = int(now_s)
            body = {"timestamp": str(ts), "sign": feishu_sign(robot["secret"], ts), **body}
    else:
        return webhooks.send(robot, d, now_s, allowed)
    post(url, json.dumps(body, ensure_ascii=False).encode(), headers, _robot_ok, allowed)


def _robot_ok(reply: dict) -> None:
    # DingTalk and WeCom answer 200 with errcode; Feishu with code (or StatusCode)
    code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
    if code not in (0, None):
        raise SendError(f"robot refused: code {code}")  # its code only: the remote text is not shown
