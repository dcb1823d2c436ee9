"""A submission as it is compared (DOMAIN §1, normalisation), and the stored records it matches.

Its contact methods are normalised (phone E.164, email lower-cased, WeChat id trimmed) and its
company keyed before any comparison; its identity keys then find the records holding them (exact
duplicates), its company the records sharing a blocking key (possible duplicates, companies.py).
Intake and the check before a call compare the same way.
"""
from __future__ import annotations

from crm_common.kernel import company_names, identity

from ..rules import store as rules
from . import companies, verdicts
from .verdicts import Record

CONTACT_LISTS = (("phones", "phone", identity.phone), ("emails", "email", identity.email),
                 ("wechat_ids", "wechat_id", identity.wechat_id))


def draft_of(body: dict, channel: dict) -> dict:
    """The lead as it will be stored, with its contact methods normalised."""
    draft = {k: v for k, v in body.items() if k not in ("phone", "email", "wechat_id", "phones", "emails")}
    for plural, single, normaliser in CONTACT_LISTS:
        raw = list(body.get(plural, [])) + ([body[single]] if body.get(single) else [])
        draft[plural] = list(dict.fromkeys(normaliser(v) for v in raw))
    draft.update(company_key=company_names.parse(body.get("company")).key, channel_id=channel["_id"],
                 channel=channel["name"])
    return draft


def keys_of(draft: dict) -> list[str]:
    """The identity keys a draft is known by (its contact methods, its company with the contact's name)."""
    return identity.identity_keys(draft["phones"], draft["emails"], draft["wechat_ids"],
                                  draft.get("company"), draft["name"])


def key_matches(db, keys: list[str], session=None) -> list[tuple[str, Record]]:
    """(key, the record holding it) for each of `keys` some lead or customer holds as its own."""
    return holders(db, keys, session)[0]


def holders(db, keys: list[str], session=None) -> tuple[list[tuple[str, Record]], list[tuple[str, Record]]]:
    """(the keys some record holds as its own, the keys only offered to one), each as (key, record), in one query.

    An offered key is a contact method a resubmission brought and no user confirmed yet: it names
    the record as a possible duplicate, never as an exact one (a channel's form cannot bind it)."""
    found = db.identity_keys.find({"_id": {"$in": keys}}, session=session) if keys else []
    held, offered = [], []
    for m in found:
        (offered if m.get("offered") else held).append((m["_id"], Record(m["kind"], m["record_id"])))
    return held, offered


def possible(rt, draft: dict, threshold: int | None = None) -> verdicts.Verdict:
    """Possible duplicates among the companies sharing a blocking key with the draft's (one query)."""
    name = company_names.parse(draft.get("company"))
    if not name.key:
        return verdicts.Verdict("new")
    if threshold is None:
        threshold = rules.current(rt.db, "dedup")["fuzzy_threshold"]
    mine, found = companies.candidates(rt.db, name, draft.get("city"))
    return verdicts.possible(mine, found, threshold)
