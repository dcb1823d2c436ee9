"""What a caller may learn about records that already exist.

A channel key may sit in a public web form, so a channel gets the verdict only:
never which record, whose, or by which keys. A user sees the details of records
within their scope; of any other record only that it is taken by a colleague.
"""
from __future__ import annotations

from crm_common.auth import Principal
from crm_common.kernel.scope import customer_scope


def lead_scope(principal: Principal) -> dict:
    """Reps see their own leads and the unassigned lead pool; managers their departments' too."""
    return {"$or": [customer_scope(principal), {"owner_id": None}]}


def in_scope(db, principal: Principal, kind: str, record_id: str, session=None) -> bool:
    """Whether the caller may see this lead or customer (customers: lead intake's copy)."""
    if principal.is_admin:
        return True
    if kind == "lead":
        return db.leads.count_documents({"$and": [{"_id": record_id}, lead_scope(principal)]},
                                         limit=1, session=session) > 0
    return db.customers.count_documents({"$and": [{"_id": record_id}, customer_scope(principal)]},
                                        limit=1, session=session) > 0


def for_channel(payload: dict) -> dict:
    """An intake answer as a channel may see it: its own new lead, and the verdict."""
    verdict = payload["dedup"]["verdict"]
    # on a duplicate the id would name someone else's record
    shown = {k: v for k, v in payload.items() if k != "dedup" and not (k == "id" and verdict == "duplicate")}
    return {**shown, "dedup": {"verdict": verdict}}


def for_user(db, principal: Principal, dedup: dict) -> dict:
    """A verdict with the records outside the caller's scope left unnamed."""
    shown = {"verdict": dedup["verdict"]}
    if dedup.get("duplicate_of"):
        if in_scope(db, principal, dedup["duplicate_of_kind"], dedup["duplicate_of"]):
            shown.update({k: dedup[k] for k in ("duplicate_of", "duplicate_of_kind", "matched_keys")})
        else:
            shown["taken_by_colleague"] = True
    candidates = visible_candidates(db, principal, dedup.get("candidates", []))
    if candidates:
        shown["candidates"] = candidates
    return shown


def visible_candidates(db, principal: Principal, candidates: list) -> list:
    return [c for c in candidates if in_scope(db, principal, c["kind"], c["id"])]


def shown_lead(db, principal: Principal, lead: dict) -> dict:
    """A stored lead with its intake verdict cut to what the caller may see."""
    if "dedup" not in lead or principal.is_admin:
        return lead
    return {**lead, "dedup": for_user(db, principal, lead["dedup"])}
