"""Login throttling: attempts limited per username and per client address, and at most
a few scrypt password checks at once across every worker of the service.

A password check is deliberately expensive (memory-hard scrypt). Without a cap, a burst of
logins would keep every web worker busy hashing and stall the whole customer service, so a
check first takes one of the service's slots (LOGIN_PASSWORD_CHECKS_AT_ONCE, PASSWORD_CHECK_SLOTS
unless set) as a lease in MongoDB (shared by all processes and replicas); with none free for a
moment the answer is 503 with Retry-After.
"""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from pymongo.errors import DuplicateKeyError

from crm_common import ratelimit
from crm_common.errors import Problem

PER_USERNAME_PER_MINUTE = 10
PER_ADDRESS_PER_MINUTE = 60
PASSWORD_CHECK_SLOTS = 2     # password checks at once, unless LOGIN_PASSWORD_CHECKS_AT_ONCE says otherwise
SLOT_WAIT_SECONDS = 0.5      # a short queue: longer would hold the web worker the cap means to free
SLOT_LEASE_SECONDS = 10      # a process that died holding a slot gives it back after this
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def throttle(rt, username: str, address: str | None) -> None:
    """Count the attempt; 429 with Retry-After past either limit (before any password work)."""
    ratelimit.check(rt, f"login:user:{username.casefold()}", PER_USERNAME_PER_MINUTE)
    ratelimit.check(rt, f"login:addr:{address or 'unknown'}", PER_ADDRESS_PER_MINUTE)


@contextmanager
def password_check_slot(rt):
    """Hold one of the service's password-check slots for the duration of the block."""
    slot, holder = None, uuid.uuid4().hex
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while slot is None:
        slot = _take(rt, holder)
        if slot is None:
            if time.monotonic() >= deadline:
                raise Problem(503, "too many sign-ins at once; try again in a moment", headers={"Retry-After": "1"})
            time.sleep(0.05)
    try:
        yield
    finally:
        rt.db.login_slots.update_one({"_id": slot, "holder": holder}, {"$set": {"until": _EPOCH, "holder": None}})


def slots(rt) -> int:
    """How many password checks the service runs at once, across all its processes."""
    return rt.settings.value("LOGIN_PASSWORD_CHECKS_AT_ONCE", PASSWORD_CHECK_SLOTS, int)


def _take(rt, holder: str) -> int | None:
    # Wall time, not the service clock: a lease must not outlive a dev clock moved back.
    now = datetime.now(timezone.utc)
    for slot in range(slots(rt)):
        try:
            # a free slot (lease over) matches and is taken; a missing one is created taken; a held
            # one does not match, so the upsert's insert collides with it
            rt.db.login_slots.update_one({"_id": slot, "until": {"$lt": now}},
                                         {"$set": {"until": now + timedelta(seconds=SLOT_LEASE_SECONDS),
                                                   "holder": holder}}, upsert=True)
            return slot
        except DuplicateKeyError:
            continue
    return None
