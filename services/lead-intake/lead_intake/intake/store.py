"""A plan written (plan.py): every row's new lead or touchpoint, identity keys, company record, review and
events, in one transaction and, where the server has one, one command (writes.send)."""
from __future__ import annotations

from pymongo import InsertOne, UpdateOne

from crm_common import idempotency, outbox
from crm_common.paging import new_id

from ..assignment.assigner import Assigner
from ..dedup.verdicts import Record
from ..leads import events as lead_events
from ..leads import states
from . import scoring, writes
from .plan import Row


MAX_OFFERED = 5  # pending offered contact methods a record keeps; more are kept on their touchpoints only


def write(rt, session, channel: dict, rows: list[Row], now_rules: dict,
          keep_answer: bool = False) -> list[tuple[dict, int]]:
    """Write the plan: every row's lead or touchpoint, keys, company, review and events, in one command."""
    db, now = rt.db, rt.clock.now()
    ops: dict[str, list] = {"identity_keys": [], "leads": [], "customers": [], "companies": [], "reviews": [],
                            "touchpoints": []}  # keys first: a key taken meanwhile fails before the rest
    events, leads, results = [], {}, []
    assigner = Assigner(rt, session, now_rules["assignment"])
    # the records the rows join, as they are now in this transaction: a concurrent write to one conflicts,
    # so its offered methods stay within MAX_OFFERED
    stored = _stored(db, session, [row.found.duplicate_of for row in rows if not row.creates])
    for row in rows:
        if row.creates:
            lead, payload = _new_lead(rt, channel, row, now, now_rules["scoring"], assigner, events)
            leads[lead["_id"]] = lead
            ops["touchpoints"].append(_insert(db, "touchpoints",
                                              touchpoint(rt, channel, row.body, lead_id=lead["_id"])))
            ops["identity_keys"] += [InsertOne({"_id": k, "kind": "lead", "record_id": lead["_id"]},
                                               namespace=writes.namespace(db, "identity_keys")) for k in row.new_keys]
            # a method only offered to another record is this lead's: taken over, unless a user confirmed it
            # for that record meanwhile (then the upsert's insert fails on the unique id, and the row is planned again)
            ops["identity_keys"] += [UpdateOne({"_id": k, "offered": True},
                                               {"$set": {"kind": "lead", "record_id": lead["_id"]},
                                                "$unset": {"offered": ""}}, upsert=True,
                                               namespace=writes.namespace(db, "identity_keys")) for k in row.taken]
            for record, keys in _by_record(row.taken).items():
                if record.kind == "lead" and record.id in leads:
                    leads[record.id]["offered_keys"] = [k for k in leads[record.id].get("offered_keys", [])
                                                        if k not in keys]
                else:
                    ops[record.kind + "s"].append(UpdateOne(
                        {"_id": record.id}, {"$pull": {"offered_keys": {"$in": keys}}},
                        namespace=writes.namespace(db, record.kind + "s")))
            if row.company:  # a new lead's id is new (each plan draws them afresh): insert, no upsert's lookup
                ops["companies"].append(InsertOne(row.company, namespace=writes.namespace(db, "companies")))
            if row.verdict.verdict == "possible_duplicate":
                ops["reviews"].append(InsertOne({"_id": new_id(), "lead_id": lead["_id"],
                                                 "candidates": row.verdict.candidates, "status": "open",
                                                 "created_at": now}, namespace=writes.namespace(db, "reviews")))
            results.append((payload, 201))
            continue
        record = row.found.duplicate_of
        new_here = leads.get(record.id) if record.kind == "lead" else None
        held = (new_here or stored.get(record) or {}).setdefault("offered_keys", [])
        kept = [k for k in row.offers if k not in held][:max(0, MAX_OFFERED - len(held))]
        held += kept
        point = touchpoint(rt, channel, row.body, record=record, offered=row.offers)
        ops["touchpoints"].append(_insert(db, "touchpoints", point))
        if new_here is not None:  # a lead an earlier row of this batch creates
            new_here["touchpoint_count"] += 1
        elif record.kind == "lead":
            ops["leads"].append(_touch(rt, record, kept, now))
        elif kept:
            ops["customers"].append(UpdateOne({"_id": record.id}, {"$addToSet": {"offered_keys": {"$each": kept}}},
                                              namespace=writes.namespace(db, "customers")))
        ops["identity_keys"] += [UpdateOne({"_id": k}, {"$setOnInsert": {"kind": record.kind, "record_id": record.id,
                                                                         "offered": True}},
                                           upsert=True, namespace=writes.namespace(db, "identity_keys"))
                                 for k in kept]  # they name this record as a possible duplicate, never an exact one
        owner = new_here["owner_id"] if new_here is not None else (stored.get(record) or {}).get("owner_id")
        events.append(rt.event("crm.lead.resubmitted", record.id, {
            "record_id": record.id, "record_kind": record.kind, "owner_id": owner,
            "channel_id": channel["_id"], "channel": channel["name"], "matched_keys": row.found.matched_keys,
            "added_keys": [], "offered_keys": row.offers, "campaign": campaign_of(row.body),
            "received_at": now.isoformat()}))
        # no `id`: that names the lead a submission created; dedup.duplicate_of names the record it joined
        results.append(({"dedup": row.found.explain()}, 200))
    for lead in leads.values():
        if not lead.get("offered_keys"):
            lead.pop("offered_keys", None)
    ops["leads"] += [InsertOne(lead, namespace=writes.namespace(db, "leads")) for lead in leads.values()]
    fresh = {f"lead:{lead_id}" for lead_id in leads}
    kept_answer = idempotency.keep_with(db, *results[0]) if keep_answer else []
    writes.send(db, session, [(name, op) for name, same in ops.items() for op in same] + assigner.writes() +
                outbox.writes(db, session, events, now, fresh=fresh) + kept_answer)
    return results


def _by_record(keys: dict) -> dict:
    out: dict[Record, list] = {}
    for key, record in keys.items():
        out.setdefault(record, []).append(key)
    return out


def _new_lead(rt, channel, row: Row, now, scoring_rules: dict, assigner: Assigner, events: list):
    """A row's new lead document, its events appended to `events`, and the answer."""
    points, bucket, parts = scoring.score(row.draft, channel.get("quality_weight", 0), scoring_rules)
    lead = {**row.draft, "_id": row.lead_id, "status": "new", "owner_id": None, "department_path": [],
            "collaborator_ids": [], "score": points, "bucket": bucket, "score_parts": parts,
            "dedup": row.verdict.explain(), "touchpoint_count": 1, "created_at": now, "updated_at": now}
    events.append(rt.event("crm.lead.received", lead["_id"], {
        "lead_id": lead["_id"], "channel_id": channel["_id"], "channel": channel["name"], "name": lead["name"],
        "company": lead.get("company"), "company_key": lead["company_key"] or None, "phones": lead["phones"],
        "emails": lead["emails"], "wechat_ids": lead["wechat_ids"], "city": lead.get("city"),
        "industry": lead.get("industry"), "campaign": campaign_of(lead), "score": points, "bucket": bucket,
        "received_at": now.isoformat(),
        # notify writes marketing only to whom the form's box said yes (absent: the form asked none)
        **({"marketing_consent": lead["marketing_consent"]} if lead.get("marketing_consent") is not None else {})}))
    if row.verdict.verdict == "possible_duplicate":
        events.append(rt.event("crm.lead.duplicate_detected", lead["_id"], {
            "lead_id": lead["_id"], "candidates": row.verdict.candidates, "detected_at": now.isoformat()}))
    picked = assigner.pick(lead) if bucket in ("hot", "warm") else None
    if picked:
        owner, department_path, team_id = picked
        lead.update(states.assigned(owner, department_path, team_id, now))
        events.append(lead_events.assigned(rt, lead["_id"], owner, team_id, "rules", now))
    payload = {"id": lead["_id"], "dedup": row.verdict.explain(), "score": points, "bucket": bucket,
               "owner_id": lead["owner_id"]}
    return lead, payload


def _touch(rt, record: Record, offered: list, now):
    """An exact duplicate counted on the stored lead it joins, with the contact methods it offered that the
    lead keeps pending (its touchpoint is a document of its own: the lead's document does not grow)."""
    update = {"$inc": {"touchpoint_count": 1}, "$set": {"updated_at": now}}
    if offered:
        update["$addToSet"] = {"offered_keys": {"$each": offered}}
    return UpdateOne({"_id": record.id}, update, namespace=writes.namespace(rt.db, "leads"))


def _insert(db, collection: str, doc: dict) -> InsertOne:
    return InsertOne(doc, namespace=writes.namespace(db, collection))


def _stored(db, session, records: list[Record]) -> dict[Record, dict]:
    """The owner and the pending offered methods of the stored records the rows join, one query per kind."""
    found = {}
    for kind, collection in (("lead", db.leads), ("customer", db.customers)):
        ids = sorted({r.id for r in records if r.kind == kind})
        if ids:
            held = {d["_id"]: d for d in collection.find({"_id": {"$in": ids}}, {"owner_id": 1, "offered_keys": 1},
                                                         session=session)}
            found.update({Record(kind, i): held.get(i, {}) for i in ids})
    return found


def campaign_of(submission: dict) -> str | None:
    """The campaign a submission came from, for the reports: its `campaign`, or the `utm_campaign` ad
    platforms send instead."""
    return submission.get("campaign") or submission.get("utm_campaign") or None


def touchpoint(rt, channel: dict, body: dict, *, lead_id: str | None = None, record: Record | None = None,
               offered: list | None = None) -> dict:
    """A submission as it came (leads/touchpoints.py): of a lead (`lead_id`, or a lead `record`) or a customer.

    `lead_ids` lists the lead it came in on and every lead that lead was merged into; `customer_id`
    the customer it belongs to (a resubmission of a customer, or a lead merged into one)."""
    if record is not None and record.kind == "lead":
        lead_id = record.id
    doc = {"_id": new_id(), "lead_ids": [lead_id] if lead_id else [], "channel_id": channel["_id"],
           "channel": channel["name"], "at": rt.clock.now(), "payload": body}
    if record is not None and record.kind == "customer":
        doc["customer_id"] = record.id
    if offered:
        doc["offered_keys"] = list(offered)
    return doc
