"""Access tokens of the corp apps, cached until shortly before they expire: one document per app in
`app_tokens`, the token sealed, so every sender and replica shares one token (DingTalk and WeCom both
rate-limit fetching it). The interface is wechatpy's session storage (get / set with ttl / delete)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .. import sealing

MARGIN = timedelta(minutes=5)  # a token this close to its expiry is fetched anew, not sent with


def _wall() -> datetime:
    """Expiry is the provider's, on real time: the dev clock's offset must not stretch a token."""
    return datetime.now(timezone.utc)


class Storage:
    def __init__(self, rt):
        self.rt = rt

    def get(self, key, default=None):
        doc = self.rt.db.app_tokens.find_one({"_id": key, "expires_at": {"$gt": _wall() + MARGIN}})
        return sealing.unseal(self.rt, doc["token"], "app-token", key) if doc else default

    def set(self, key, value, ttl=None):
        self.rt.db.app_tokens.update_one({"_id": key}, {"$set": {
            "token": sealing.seal(self.rt, value, "app-token", key),
            "expires_at": _wall() + timedelta(seconds=int(ttl or 7200))}}, upsert=True)

    def delete(self, key):
        self.rt.db.app_tokens.delete_one({"_id": key})
