"""Seal every stored channel secret under the first key of NOTIFY_SEALING_KEY.

    NOTIFY_SEALING_KEY=new,old python -m notify.migrations.reseal

(MONGO_URI / CRM_MONGO_PORT as the other admin commands.)

Run after putting a new key first (channels/sealing.py says how to rotate), and after upgrading from a
release that sealed under the JWT secret or kept robot URLs in plain text. The URL and secret of each
robot, webhook subscription and rule webhook (kept on its delivery row), the SMTP password, and the SMS
provider's and corp apps' secrets (their cached access tokens are dropped, to be fetched again), are
opened with any key and sealed again with the first; a robot's masked URL is written if it has none.
Running it again changes only which random nonce each value carries. A value no key opens is left as it
is and counted, so an admin can register that robot again.
"""
from __future__ import annotations

import sys
from types import SimpleNamespace

from crm_common import mongo
from crm_common.sealed import Tampered
from crm_common.settings import Settings

from ..channels import app_settings, masking, sealing


def reseal(rt) -> dict:
    counts = {"robots": 0, "subscriptions": 0, "rule_webhooks": 0, "smtp": 0, "apps": 0, "unreadable": 0}
    for robot in rt.db.robots.find({}):
        try:
            url = sealing.unseal(rt, robot.get("url"), "robot-url", robot["_id"])
            change = {"url": sealing.seal(rt, url, "robot-url", robot["_id"]),
                      "secret": sealing.reseal(rt, robot.get("secret"), "robot", robot["_id"]),
                      "url_shown": robot.get("url_shown") or masking.masked_url(url or "")}
        except Tampered:
            counts["unreadable"] += 1
            continue
        rt.db.robots.update_one({"_id": robot["_id"]}, {"$set": change})
        counts["robots"] += 1
    _reseal_pairs(rt, rt.db.subscriptions, {}, "subscription", counts, "subscriptions")
    _reseal_pairs(rt, rt.db.deliveries, {"channel": "rule_webhook", "url": {"$ne": None}}, "rule-webhook", counts,
                  "rule_webhooks")  # a rule's webhook keeps its URL and secret on its delivery row
    smtp = rt.db.settings.find_one({"_id": "smtp"})
    if smtp and smtp.get("password") is not None:
        try:
            rt.db.settings.update_one({"_id": "smtp"},
                                      {"$set": {"password": sealing.reseal(rt, smtp["password"], "smtp")}})
            counts["smtp"] += 1
        except Tampered:
            counts["unreadable"] += 1
    counts["apps"], unreadable = app_settings.reseal_all(rt)
    counts["unreadable"] += unreadable
    return counts


def _reseal_pairs(rt, collection, query: dict, context: str, counts: dict, counted: str) -> None:
    """Each document's `url` (context `<context>-url`) and `secret` (`<context>`), sealed again."""
    for doc in collection.find(query):
        try:
            change = {"url": sealing.reseal(rt, doc["url"], f"{context}-url", doc["_id"]),
                      "secret": sealing.reseal(rt, doc["secret"], context, doc["_id"])}
        except Tampered:
            counts["unreadable"] += 1
            continue
        collection.update_one({"_id": doc["_id"]}, {"$set": change})
        counts[counted] += 1


def main() -> None:
    settings = Settings.for_tool("notify")
    db = mongo.connect(settings.mongo_uri, wait_seconds=5)[settings.mongo_db]
    print(f"resealed {reseal(SimpleNamespace(settings=settings, db=db))}", file=sys.stderr)


if __name__ == "__main__":
    main()
