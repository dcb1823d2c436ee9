"""Taking a lead in (DOMAIN §1): normalise, de-duplicate, score, assign, store with its events.

The race between two submissions of one person is decided by the unique
`identity_keys._id`: the second transaction fails on a shared key and takes the
duplicate path, so exactly one lead is created.
"""
from __future__ import annotations

from datetime import timedelta

from pymongo.errors import PyMongoError

from crm_common import company_names, identity
from crm_common.mongo import is_duplicate_key
from crm_common.paging import new_id

from . import assignment, companies, dedup, directory, rules, scoring
from .dedup import Record

RESPOND_WITHIN = timedelta(hours=24)
CONTACT_LISTS = (("phones", "phone", identity.phone), ("emails", "email", identity.email),
                 ("wechat_ids", "wechat_id", identity.wechat_id))
CONTACT_KEYS = ("phone:", "email:", "wechat:")


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


def submit(rt, channel: dict, body: dict) -> tuple[dict, int]:
    """Store a submission as a new lead, or attach it to the record it duplicates. -> (payload, status)"""
    draft = draft_of(body, channel)
    keys = keys_of(draft)
    while True:
        matches = key_matches(rt.db, keys)
        found = dedup.exact(matches)
        unheld = [k for k in keys if k not in {key for key, _ in matches}]
        if found and not any(k.startswith(CONTACT_KEYS) for k in unheld):
            return rt.transaction(lambda s: _attach(rt, s, found, draft, keys, channel, body))
        now_rules = rules.all_current(rt.db)
        # A known contact with a new phone, email or WeChat id is not added to the existing record
        # silently (a submitter could graft their number onto someone else's customer): it becomes
        # a lead of its own, flagged for review against that record.
        verdict = shares_contact(found) if found else possible(rt, draft, now_rules["dedup"]["fuzzy_threshold"])
        try:
            payload, status = rt.transaction(
                lambda s: _create(rt, s, draft, unheld, verdict, channel, body, now_rules))
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            # a concurrent submission took a key first: now this one is its duplicate
            continue
        return payload, status


def shares_contact(found: dedup.Verdict) -> dedup.Verdict:
    record = found.duplicate_of
    return dedup.Verdict("possible_duplicate", candidates=[
        {"id": record.id, "kind": record.kind, "score": 100, "reason": "shares_contact_with_new_contacts",
         "keys": {}, "scores": {}}])


def key_matches(db, keys: list[str], session=None) -> list[tuple[str, Record]]:
    return [(m["_id"], Record(m["kind"], m["record_id"]))
            for m in db.identity_keys.find({"_id": {"$in": keys}}, session=session)]


def possible(rt, draft: dict, threshold: int | None = None) -> dedup.Verdict:
    """Possible duplicates among the companies sharing a blocking key with the draft's (one query)."""
    name = company_names.parse(draft.get("company"))
    if not name.key:
        return dedup.Verdict("new")
    if threshold is None:
        threshold = rules.current(rt.db, "dedup")["fuzzy_threshold"]
    mine, found = companies.candidates(rt.db, name, draft.get("city"))
    return dedup.possible(mine, found, threshold)


def touchpoint(rt, channel: dict, body: dict) -> dict:
    return {"channel_id": channel["_id"], "channel": channel["name"], "at": rt.clock.now(), "payload": body}


def _create(rt, session, draft, keys, verdict, channel, body, now_rules) -> tuple[dict, int]:
    now = rt.clock.now()
    points, bucket, parts = scoring.score(draft, channel.get("quality_weight", 0), now_rules["scoring"])
    lead = {**draft, "_id": new_id(), "status": "new", "owner_id": None, "department_path": [],
            "collaborator_ids": [], "score": points, "bucket": bucket, "score_parts": parts,
            "dedup": verdict.explain(), "touchpoints": [touchpoint(rt, channel, body)], "touchpoint_count": 1,
            "created_at": now, "updated_at": now}
    rt.db.leads.insert_one(lead, session=session)
    rt.db.identity_keys.insert_many([{"_id": k, "kind": "lead", "record_id": lead["_id"]} for k in keys],
                                    session=session)
    if draft["company_key"]:
        companies.store(rt.db, session, "lead", lead["_id"], company_names.parse(draft.get("company")),
                        draft.get("city"))
    events = [rt.event("crm.lead.received", lead["_id"], {
        "lead_id": lead["_id"], "channel_id": channel["_id"], "channel": channel["name"], "name": lead["name"],
        "company": lead.get("company"), "company_key": lead["company_key"] or None, "phones": lead["phones"],
        "emails": lead["emails"], "wechat_ids": lead["wechat_ids"], "city": lead.get("city"),
        "industry": lead.get("industry"), "campaign": lead.get("campaign"), "score": points, "bucket": bucket,
        "received_at": now.isoformat()})]
    if verdict.verdict == "possible_duplicate":
        rt.db.reviews.insert_one({"_id": new_id(), "lead_id": lead["_id"], "candidates": verdict.candidates,
                                  "status": "open", "created_at": now}, session=session)
        events.append(rt.event("crm.lead.duplicate_detected", lead["_id"], {
            "lead_id": lead["_id"], "candidates": verdict.candidates, "detected_at": now.isoformat()}))
    rt.publish(session, *events)
    owner = auto_assign(rt, session, lead, now_rules["assignment"]) if bucket in ("hot", "warm") else None
    payload = {"id": lead["_id"], "dedup": verdict.explain(), "score": points, "bucket": bucket, "owner_id": owner}
    return payload, 201


def auto_assign(rt, session, lead: dict, config: dict) -> str | None:
    """Assign by the rules; the lead stays unassigned when no team or no eligible rep is found."""
    team_id = assignment.choose_team(lead, config["rules"], config["default_team_id"])
    team = rt.db.teams.find_one({"_id": team_id, "active": True}, session=session) if team_id else None
    if not team or not team.get("members"):
        return None
    user_ids = [m["user_id"] for m in team["members"]]
    reps = {r["_id"]: r for r in rt.db.reps.find({"_id": {"$in": user_ids}}, session=session)}
    state_doc = rt.db.round_robin.find_one({"_id": team_id}, session=session) or {}
    owner, state = assignment.pick_rep(team["members"], reps, directory.holding(rt.db, user_ids, session),
                                       state_doc.get("current", {}))
    if owner is None:
        return None
    # Writing the state in the same transaction serialises concurrent assignments in one team.
    rt.db.round_robin.update_one({"_id": team_id}, {"$set": {"current": state}}, upsert=True, session=session)
    assign(rt, session, lead["_id"], owner, reps[owner].get("department_path", []), by="rules", team_id=team_id)
    return owner


def assign(rt, session, lead_id: str, owner_id: str, department_path: list, *, by: str, team_id=None) -> None:
    now = rt.clock.now()
    rt.db.leads.update_one({"_id": lead_id}, {"$set": {
        "status": "assigned", "owner_id": owner_id, "department_path": department_path, "team_id": team_id,
        "assigned_at": now, "updated_at": now}}, session=session)
    rt.publish(session, rt.event("crm.lead.assigned", lead_id, {
        "lead_id": lead_id, "owner_id": owner_id, "team_id": team_id, "by": by, "assigned_at": now.isoformat(),
        "respond_by": (now + RESPOND_WITHIN).isoformat()}))


def _attach(rt, session, found: dedup.Verdict, draft, keys, channel, body) -> tuple[dict, int]:
    """An exact duplicate: a touchpoint on the existing record, and its owner is told."""
    now, record = rt.clock.now(), found.duplicate_of
    if record.kind == "lead":
        rt.db.leads.update_one({"_id": record.id}, {
            "$push": {"touchpoints": touchpoint(rt, channel, body)}, "$inc": {"touchpoint_count": 1},
            "$addToSet": {p: {"$each": draft[p]} for p, _, _ in CONTACT_LISTS}, "$set": {"updated_at": now}},
            session=session)
    else:
        rt.db.customer_touchpoints.insert_one(
            {"_id": new_id(), "customer_id": record.id, **touchpoint(rt, channel, body)}, session=session)
    for key in set(keys) - set(found.matched_keys):  # new contact methods now point here too
        rt.db.identity_keys.update_one({"_id": key}, {"$setOnInsert": {"kind": record.kind, "record_id": record.id}},
                                       upsert=True, session=session)
    rt.publish(session, rt.event("crm.lead.resubmitted", record.id, {
        "record_id": record.id, "record_kind": record.kind,
        "owner_id": directory.owner_of(rt.db, record.kind, record.id, session),
        "channel_id": channel["_id"], "channel": channel["name"], "matched_keys": found.matched_keys,
        "received_at": now.isoformat()}))
    return {"id": record.id, "dedup": found.explain()}, 200
