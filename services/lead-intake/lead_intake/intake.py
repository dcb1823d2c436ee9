"""Taking leads in (DOMAIN §1): normalise, de-duplicate, score, assign, store with their events.

One submission, or a batch of them, is planned in memory row by row, as if each were submitted
after the one before (a row is an exact or possible duplicate of a lead an earlier row creates),
then written in one transaction whose writes go to MongoDB in one command (writes.send). A new
lead costs four round trips: the channel's rate-limit counter, the company records sharing a
blocking key with it, the writes, the commit (the rules are read at most every 2 s, rules.py).

Exact duplicates are decided by the unique `identity_keys._id`: a transaction that would take a
key another record holds fails as a whole, and its rows are planned again against the keys now
held, so of two racing submissions of one person exactly one creates a lead. A single submission
does not read the identity keys first (most are new: the unique index answers for the others);
a batch reads all its rows' keys in one query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from pymongo import InsertOne, UpdateOne
from pymongo.errors import PyMongoError

from crm_common import idempotency, outbox
from crm_common.kernel import company_names, identity
from crm_common.kernel.company_names import CompanyName
from crm_common.mongo import is_duplicate_key
from crm_common.paging import new_id

from . import assignment, companies, dedup, directory, rules, scoring, writes
from .dedup import Record

RESPOND_WITHIN = timedelta(hours=24)
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


@dataclass
class Row:
    """One submission and what the plan decided for it."""
    body: dict
    draft: dict
    keys: list[str]
    name: CompanyName
    found: dedup.Verdict | None = None    # the record it is an exact duplicate of
    lead_id: str | None = None            # set when it becomes a lead of its own
    new_keys: list = field(default_factory=list)
    verdict: dedup.Verdict | None = None  # a new lead's verdict: new or possible_duplicate
    company: dict | None = None           # a new lead's company record (companies.document)

    @property
    def creates(self) -> bool:
        return self.lead_id is not None


def submit(rt, channel: dict, body: dict) -> tuple[dict, int]:
    """Store a submission as a new lead, or attach it to the record it duplicates. -> (payload, status)

    The answer is kept with the lead (crm_common.idempotency.keep_with): a retry after a reply lost
    past the commit gets it, not "a duplicate of itself"."""
    return submit_many(rt, channel, [body], keep_answer=True)[0]


def submit_many(rt, channel: dict, bodies: list[dict], keep_answer: bool = False) -> list[tuple[dict, int]]:
    """Each submission as `submit` would take it, one after another, in one transaction."""
    rows = []
    for body in bodies:
        draft = draft_of(body, channel)
        rows.append(Row(body, draft, keys_of(draft), company_names.parse(body.get("company"))))
    read_keys = len(rows) > 1
    while True:
        held = dict(key_matches(rt.db, sorted({k for row in rows for k in row.keys}))) if read_keys else {}
        now_rules = rules.all_recent(rt)
        plan(rt, rows, held, now_rules["dedup"]["fuzzy_threshold"])
        try:
            return rt.transaction(lambda s: _store(rt, s, channel, rows, now_rules, keep_answer))
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            # a key is held already (by a stored record, or a concurrent submission took it first):
            # plan again knowing who holds each key
            read_keys = True


def plan(rt, rows: list[Row], held: dict[str, Record], threshold: int) -> None:
    """Decide each row: an exact duplicate of a record, or a new lead with its verdict."""
    held = dict(held)  # the keys the batch's earlier rows take are held for the later ones
    for row in rows:
        found = dedup.exact([(k, held[k]) for k in row.keys if k in held])
        unheld = [k for k in row.keys if k not in held]
        row.found, row.lead_id, row.new_keys, row.verdict, row.company = found, None, unheld, None, None
        if found:
            # An exact duplicate (DOMAIN §1) even when it brings a new phone, email or WeChat id: the
            # new keys point to the record it joins, and its owner is told which they are (the
            # resubmitted event's added_keys), so nothing is added unseen.
            for key in unheld:
                held[key] = found.duplicate_of
            continue
        row.lead_id = new_id()
        for key in unheld:
            held[key] = Record("lead", row.lead_id)
        if row.name.key:
            row.company = companies.document("lead", row.lead_id, row.name, row.draft.get("city"))
    asking = [row for row in rows if row.creates and row.company]
    stored = dict(zip((row.lead_id for row in asking), companies.candidates_many(
        rt.db, [(row.name, row.draft.get("city")) for row in asking])))
    earlier: list[tuple[set, dedup.Company]] = []  # the batch's new leads' companies, for the rows after them
    for row in rows:
        if not row.creates:
            continue
        if row.lead_id in stored:
            mine, found = stored[row.lead_id]
            blocks = set(row.company["blocks"])
            found = found + [company for their_blocks, company in earlier if blocks & their_blocks]
            row.verdict = dedup.possible(mine, found, threshold)
        else:
            row.verdict = dedup.Verdict("new")
        if row.company:
            earlier.append((set(row.company["blocks"]), companies.of_document(row.company)))


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


def campaign_of(submission: dict) -> str | None:
    """The campaign a submission came from, for the reports: its `campaign`, or the `utm_campaign` ad
    platforms send instead."""
    return submission.get("campaign") or submission.get("utm_campaign") or None


def touchpoint(rt, channel: dict, body: dict) -> dict:
    return {"channel_id": channel["_id"], "channel": channel["name"], "at": rt.clock.now(), "payload": body}


def _store(rt, session, channel: dict, rows: list[Row], now_rules: dict,
           keep_answer: bool = False) -> list[tuple[dict, int]]:
    """Write the plan: every row's lead or touchpoint, keys, company, review and events, in one command."""
    db, now = rt.db, rt.clock.now()
    ops: dict[str, list] = {"identity_keys": [], "leads": [], "companies": [], "reviews": [],
                            "customer_touchpoints": []}  # keys first: a key taken meanwhile fails before the rest
    events, leads, results = [], {}, []
    assigner = Assigner(rt, session, now_rules["assignment"])
    owners = _owners(db, session, [row.found.duplicate_of for row in rows if not row.creates])
    for row in rows:
        if row.creates:
            lead, payload = _new_lead(rt, channel, row, now, now_rules["scoring"], assigner, events)
            leads[lead["_id"]] = lead
            ops["identity_keys"] += [InsertOne({"_id": k, "kind": "lead", "record_id": lead["_id"]},
                                               namespace=writes.namespace(db, "identity_keys")) for k in row.new_keys]
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
        if new_here is not None:  # a lead an earlier row of this batch creates
            new_here["touchpoints"].append(touchpoint(rt, channel, row.body))
            new_here["touchpoint_count"] += 1
            for plural, _, _ in CONTACT_LISTS:
                new_here[plural] = new_here[plural] + [v for v in row.draft[plural] if v not in new_here[plural]]
            owner = new_here["owner_id"]
        else:
            ops["leads" if record.kind == "lead" else "customer_touchpoints"].append(
                _touch(rt, record, channel, row, now))
            owner = owners.get(record)
        ops["identity_keys"] += [UpdateOne({"_id": k}, {"$setOnInsert": {"kind": record.kind, "record_id": record.id}},
                                           upsert=True, namespace=writes.namespace(db, "identity_keys"))
                                 for k in row.new_keys]  # new contact methods now point here too
        events.append(rt.event("crm.lead.resubmitted", record.id, {
            "record_id": record.id, "record_kind": record.kind, "owner_id": owner,
            "channel_id": channel["_id"], "channel": channel["name"], "matched_keys": row.found.matched_keys,
            "added_keys": row.new_keys, "campaign": campaign_of(row.body), "received_at": now.isoformat()}))
        # no `id`: that names the lead a submission created; dedup.duplicate_of names the record it joined
        results.append(({"dedup": row.found.explain()}, 200))
    ops["leads"] += [InsertOne(lead, namespace=writes.namespace(db, "leads")) for lead in leads.values()]
    fresh = {f"lead:{lead_id}" for lead_id in leads}
    kept = idempotency.keep_with(db, *results[0]) if keep_answer else []
    writes.send(db, session, [(name, op) for name, same in ops.items() for op in same] + assigner.writes() +
                outbox.writes(db, session, events, now, fresh=fresh) + kept)
    return results


def _new_lead(rt, channel, row: Row, now, scoring_rules: dict, assigner: "Assigner", events: list):
    """A row's new lead document, its events appended to `events`, and the answer."""
    points, bucket, parts = scoring.score(row.draft, channel.get("quality_weight", 0), scoring_rules)
    lead = {**row.draft, "_id": row.lead_id, "status": "new", "owner_id": None, "department_path": [],
            "collaborator_ids": [], "score": points, "bucket": bucket, "score_parts": parts,
            "dedup": row.verdict.explain(), "touchpoints": [touchpoint(rt, channel, row.body)],
            "touchpoint_count": 1, "created_at": now, "updated_at": now}
    events.append(rt.event("crm.lead.received", lead["_id"], {
        "lead_id": lead["_id"], "channel_id": channel["_id"], "channel": channel["name"], "name": lead["name"],
        "company": lead.get("company"), "company_key": lead["company_key"] or None, "phones": lead["phones"],
        "emails": lead["emails"], "wechat_ids": lead["wechat_ids"], "city": lead.get("city"),
        "industry": lead.get("industry"), "campaign": campaign_of(lead), "score": points, "bucket": bucket,
        "received_at": now.isoformat()}))
    if row.verdict.verdict == "possible_duplicate":
        events.append(rt.event("crm.lead.duplicate_detected", lead["_id"], {
            "lead_id": lead["_id"], "candidates": row.verdict.candidates, "detected_at": now.isoformat()}))
    picked = assigner.pick(lead) if bucket in ("hot", "warm") else None
    if picked:
        owner, department_path, team_id = picked
        lead.update(status="assigned", owner_id=owner, department_path=department_path, team_id=team_id,
                    assigned_at=now)
        events.append(assigned_event(rt, lead["_id"], owner, team_id, "rules", now))
    payload = {"id": lead["_id"], "dedup": row.verdict.explain(), "score": points, "bucket": bucket,
               "owner_id": lead["owner_id"]}
    return lead, payload


def _touch(rt, record: Record, channel: dict, row: Row, now):
    """An exact duplicate's touchpoint on the stored record it joins."""
    if record.kind == "lead":
        return UpdateOne({"_id": record.id}, {
            "$push": {"touchpoints": touchpoint(rt, channel, row.body)}, "$inc": {"touchpoint_count": 1},
            "$addToSet": {p: {"$each": row.draft[p]} for p, _, _ in CONTACT_LISTS}, "$set": {"updated_at": now}},
            namespace=writes.namespace(rt.db, "leads"))
    return InsertOne({"_id": new_id(), "customer_id": record.id, **touchpoint(rt, channel, row.body)},
                     namespace=writes.namespace(rt.db, "customer_touchpoints"))


def _owners(db, session, records: list[Record]) -> dict[Record, str | None]:
    """The owners of the stored records the rows join, one query per kind."""
    owners = {}
    for kind, collection in (("lead", db.leads), ("customer", db.customers)):
        ids = sorted({r.id for r in records if r.kind == kind})
        if ids:
            held = {d["_id"]: d.get("owner_id") for d in collection.find({"_id": {"$in": ids}}, {"owner_id": 1},
                                                                          session=session)}
            owners.update({Record(kind, i): held.get(i) for i in ids})
    return owners


class Assigner:
    """Automatic assignment for the leads of one transaction, each team's state read once.

    Rules choose the team; a smooth weighted round robin picks the rep, skipping inactive reps
    and reps at their holding limit, and counting the leads this transaction gave them already.
    Writing each team's state in the same transaction serialises concurrent assignments in it.
    """

    def __init__(self, rt, session, config: dict):
        self.rt, self.session, self.config = rt, session, config
        self.teams: dict[str, dict | None] = {}
        self.holding: dict[str, int] = {}

    def pick(self, lead: dict) -> tuple[str, list, str] | None:
        """(owner, department path, team) for a new lead, or None: it stays unassigned."""
        team_id = assignment.choose_team(lead, self.config["rules"], self.config["default_team_id"])
        team = self._team(team_id) if team_id else None
        if team is None:
            return None
        owner, state = assignment.pick_rep(team["members"], team["reps"], self.holding, team["state"])
        if owner is None:
            return None
        team["state"], team["changed"] = state, True
        self.holding[owner] += 1
        return owner, team["reps"][owner].get("department_path", []), team_id

    def _team(self, team_id: str) -> dict | None:
        if team_id not in self.teams:
            db, session = self.rt.db, self.session
            team = db.teams.find_one({"_id": team_id, "active": True}, session=session)
            if not team or not team.get("members"):
                self.teams[team_id] = None
                return None
            user_ids = [m["user_id"] for m in team["members"]]
            reps = {r["_id"]: r for r in db.reps.find({"_id": {"$in": user_ids}}, session=session)}
            unknown = [u for u in user_ids if u not in self.holding]
            if unknown:
                self.holding.update(directory.holding(db, unknown, session))
            state = (db.round_robin.find_one({"_id": team_id}, session=session) or {}).get("current", {})
            self.teams[team_id] = {"members": team["members"], "reps": reps, "state": state, "changed": False}
        return self.teams[team_id]

    def writes(self) -> list[tuple[str, object]]:
        return [("round_robin", UpdateOne({"_id": team_id}, {"$set": {"current": team["state"]}}, upsert=True,
                                          namespace=writes.namespace(self.rt.db, "round_robin")))
                for team_id, team in self.teams.items() if team and team["changed"]]


def assign(rt, session, lead_id: str, owner_id: str, department_path: list, *, by: str, team_id=None) -> None:
    now = rt.clock.now()
    rt.db.leads.update_one({"_id": lead_id}, {"$set": {
        "status": "assigned", "owner_id": owner_id, "department_path": department_path, "team_id": team_id,
        "assigned_at": now, "updated_at": now}}, session=session)
    rt.publish(session, assigned_event(rt, lead_id, owner_id, team_id, by, now))


def assigned_event(rt, lead_id: str, owner_id: str, team_id, by: str, now) -> dict:
    return rt.event("crm.lead.assigned", lead_id, {
        "lead_id": lead_id, "owner_id": owner_id, "team_id": team_id, "by": by, "assigned_at": now.isoformat(),
        "respond_by": (now + RESPOND_WITHIN).isoformat()})
