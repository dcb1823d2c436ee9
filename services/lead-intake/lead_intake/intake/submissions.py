"""Taking leads in (DOMAIN §1): normalise, de-duplicate, score, assign, store with their events.

One submission, or a batch of them, is planned in memory row by row, as if each were submitted
after the one before (a row is an exact or possible duplicate of a lead an earlier row creates,
plan.py), then written in one transaction whose writes go to MongoDB in one command (store.py,
writes.send). A new lead costs four round trips: the channel's rate-limit counter, the company
records sharing a blocking key with it, the writes, the commit (the rules are read at most every
2 s, rules/store.py).

Exact duplicates are decided by the unique `identity_keys._id`: a transaction that would take a
key another record holds fails as a whole, and its rows are planned again against the keys now
held, so of two racing submissions of one person exactly one creates a lead. A key only offered to a
record (a resubmission's new contact method, not yet confirmed) is stored under the same unique id,
so a submission bringing it is planned again too, and made a new lead flagged as a possible duplicate.
A single submission does not read the identity keys first (most are new: the unique index answers for the others);
a batch reads all its rows' keys in one query.
"""
from __future__ import annotations

from pymongo.errors import PyMongoError

from crm_common.kernel import company_names
from crm_common.mongo import is_duplicate_key

from ..dedup.matching import draft_of, holders, keys_of
from ..rules import store as rules
from . import store
from .plan import Row, plan


def submit(rt, channel: dict, body: dict) -> tuple[dict, int]:
    """Store a submission as a new lead, or attach it to the record it duplicates. -> (payload, status)

    The answer is kept with the lead (crm_common.idempotency.keep_with): a retry after a reply lost
    past the commit gets it, not "a duplicate of itself"."""
    return submit_many(rt, channel, [body], keep_answer=True)[0]


def submit_many(rt, channel: dict, bodies: list[dict], keep_answer: bool = False,
                then=None) -> list[tuple[dict, int]]:
    """Each submission as `submit` would take it, one after another, in one transaction; `then(session,
    answers)` runs last in it (an import job records its rows' reports there)."""
    rows = []
    for body in bodies:
        draft = draft_of(body, channel)
        rows.append(Row(body, draft, keys_of(draft), company_names.parse(body.get("company"))))
    read_keys = len(rows) > 1
    while True:
        held, offered = holders(rt.db, sorted({k for row in rows for k in row.keys})) if read_keys else ([], [])
        now_rules = rules.all_recent(rt)
        plan(rt, rows, dict(held), now_rules["dedup"]["fuzzy_threshold"], dict(offered))
        try:
            return rt.transaction(lambda s: _then(s, store.write(rt, s, channel, rows, now_rules, keep_answer), then))
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            # a key is held already (by a stored record, or a concurrent submission took it first):
            # plan again knowing who holds each key
            read_keys = True


def _then(session, answers: list, then) -> list:
    if then is not None:
        then(session, answers)
    return answers
