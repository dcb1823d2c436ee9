"""A known event history for the reporting tests, and the answers computed by hand from it.

NOW is 2026-06-30 12:00 in Shanghai. Reps: rep-a (department east), rep-b (west); m-east manages east.
Every event happens at 10:00 UTC (18:00 in Shanghai, the same local day).
"""
from __future__ import annotations

from datetime import datetime, timezone

from crm_common.testing.snapshots import customer_snapshot

NOW = datetime(2026, 6, 30, 4, 0, tzinfo=timezone.utc)
EAST, WEST = ["d-root", "d-east"], ["d-root", "d-west"]
DEPT = {"rep-a": EAST, "rep-b": WEST, "m-east": EAST}


def at(day: str) -> str:
    return f"2026-{day}T10:00:00+00:00"


class History:
    """Builds contract-valid events; customer events carry the customer's snapshot and version."""

    def __init__(self, rt):
        self.rt, self.events, self.customers = rt, [], {}

    def emit(self, event_type, subject, data, version=None):
        event = self.rt.event(event_type, subject, data)
        if version is not None:
            event["version"] = version
        self.events.append(event)
        return event

    def user(self, user_id, role="rep"):
        return self.emit("crm.user.created", user_id, {
            "user_id": user_id, "username": user_id.upper(), "role": role, "department_id": DEPT[user_id][-1],
            "department_path": DEPT[user_id], "supervisor_id": None, "active": True, "team_ids": [],
            "holding_limit": 200}, 1)

    @staticmethod
    def first_snapshot(cid):
        return customer_snapshot(cid, owner_id=None, city="Hangzhou", version=0)

    def resume(self, events, *cids):
        """Continue customers' snapshots (not their last event's own fields) after `events`."""
        for cid in cids:
            last = next(e["data"] for e in reversed(events) if e["type"].startswith("crm.customer.")
                        and e["subject"] == cid)
            self.customers[cid] = {k: last.get(k, v) for k, v in self.first_snapshot(cid).items()}

    def customer(self, cid, event, day=None, /, **data):
        snap = self.customers.setdefault(cid, self.first_snapshot(cid))
        snap.update({k: data.pop(k) for k in list(data) if k in snap})
        snap["version"] += 1
        if event == "stage_changed":
            data.update({"from": snap["stage"], "to": data["to"], "pipeline_id": "default", "by": "u",
                         "changed_at": at(day)})
            snap["stage"] = data["to"]
        stamp = {"created": "created_at", "followed_up": "followed_up_at", "qualified": "qualified_at",
                 "contract_signed": "signed_at", "payment_received": "recorded_at", "won": "won_at",
                 "lost": "lost_at", "deleted": "deleted_at", "owner_changed": "changed_at"}.get(event)
        if stamp:
            data.setdefault(stamp, at(day))
        data.setdefault("by", "u")
        return self.emit(f"crm.customer.{event}", cid, {**snap, **data}, snap["version"])


def build(rt) -> list[dict]:
    """The history in publication order."""
    h = History(rt)
    for path, name in ((["d-root"], "总部"), (EAST, "华东"), (WEST, "华西")):
        h.emit("crm.department.created", path[-1], {"department_id": path[-1], "name": name,
                                                    "parent_id": path[-2] if len(path) > 1 else None,
                                                    "path": path, "active": True}, 1)
    for user in ("rep-a", "rep-b"):
        h.user(user)
    h.user("m-east", "manager")
    lead = lambda lid, day, channel, campaign: h.emit("crm.lead.received", lid, {  # noqa: E731
        "lead_id": lid, "channel_id": "ch-" + channel, "channel": channel, "name": "N", "company": None,
        "company_key": None, "phones": [], "emails": [], "wechat_ids": [], "received_at": at(day),
        "city": None, "industry": None, "campaign": campaign, "score": 50, "bucket": "warm"}, 1)
    lead("L1", "06-01", "web", "spring")
    h.emit("crm.lead.assigned", "L1", {"lead_id": "L1", "owner_id": "rep-a", "team_id": None, "by": "rules",
                                       "assigned_at": at("06-01"), "respond_by": at("06-02")}, 2)
    h.emit("crm.lead.converted", "L1", {"lead_id": "L1", "converted_by": "rep-a", "owner_id": "rep-a",
                                        "phones": [], "emails": [], "converted_at": at("06-02")}, 3)
    lead("L2", "06-03", "web", "=HYPERLINK(1)")
    h.emit("crm.lead.duplicate_detected", "L2", {
        "lead_id": "L2", "candidates": [{"id": "L1", "kind": "lead", "score": 92, "reason": "same_company_key"}],
        "detected_at": at("06-03")}, 2)
    lead("L3", "06-05", "expo", None)
    h.emit("crm.lead.converted", "L3", {"lead_id": "L3", "converted_by": "rep-b", "owner_id": "rep-b",
                                        "phones": [], "emails": [], "converted_at": at("06-06")}, 2)
    h.emit("crm.lead.resubmitted", "L1", {"record_id": "L1", "record_kind": "lead", "owner_id": "rep-a",
                                          "channel_id": "ch-expo", "channel": "expo", "matched_keys": ["phone"],
                                          "received_at": at("06-10")}, 4)
    a, b = dict(owner_id="rep-a", department_path=EAST), dict(owner_id="rep-b", department_path=WEST)
    # C1: rep-a, from L1; two stage moves; qualified twice (the signing date slips 17 days); one follow-up
    h.customer("C1", "created", "06-02", source_lead_id="L1", **a)
    h.customer("C1", "stage_changed", "06-04", to="initial_contact")
    h.customer("C1", "stage_changed", "06-09", to="needs_confirmed")
    h.customer("C1", "qualified", "06-09", qualitative="valuable", grade="large", expected_amount="100000.50",
               expected_sign_date="2026-07-15")
    h.customer("C1", "followed_up", "06-10", followup_id="F1", channel="phone", summary="s", goal_met=True,
               next_contact_at=at("06-20"))
    h.customer("C1", "qualified", "06-11", qualitative="valuable", grade="large", expected_amount="120000.00",
               expected_sign_date="2026-08-01")
    # C2: created by rep-a, reclaimed to the pool and claimed by rep-b (west), who follows it up
    h.customer("C2", "created", "06-01", **a)
    # (the pool's warning and its requests to the customer service are not moves)
    h.emit("crm.pool.reclaim_warning", "C2", {"customer_id": "C2", "owner_id": "rep-a", "pool_id": None,
                                              "rule": "no_followup", "days_before": 1,
                                              "reclaim_due_at": at("06-14"), "warned_at": at("06-13")}, 1)
    h.emit("crm.pool.ownership_requested", "C2", request("C2", "reclaim", "rep-a", None, None, "06-14"), 2)
    h.emit("crm.pool.customer_reclaimed", "C2", {"customer_id": "C2", "previous_owner_id": "rep-a",
                                                 "reason": "no_followup", "reclaimed_at": at("06-14")}, 3)
    h.emit("crm.pool.pool_changed", "p1", {"pool_id": "p1", "name": "华东公海", "rules": {}, "by": "u-admin",
                                           "changed_at": at("06-01")}, 1)
    h.emit("crm.pool.ownership_requested", "C2", request("C2", "claim", None, "rep-b", "p1", "06-15"), 4)
    h.emit("crm.pool.customer_claimed", "C2", {"customer_id": "C2", "owner_id": "rep-b", "previous_owner_id": None,
                                               "kind": "claim", "pool_id": "p1", "by": "rep-b",
                                               "claimed_at": at("06-15")}, 5)
    # C8 (its customer events are outside this history): m-east assigns it from pool p1 to rep-a,
    # announced in the older form too (claimed, kind assign) with the same movement id
    h.emit("crm.pool.ownership_requested", "C8", request("C8", "assign", None, "rep-a", "p1", "06-16"), 1)
    h.emit("crm.pool.customer_assigned", "C8", {"customer_id": "C8", "pool_id": "p1", "movement_id": "M8",
                                                "by": "m-east", "owner_id": "rep-a", "previous_owner_id": None,
                                                "reason": None, "assigned_at": at("06-16")}, 2)
    h.emit("crm.pool.customer_claimed", "C8", {"customer_id": "C8", "owner_id": "rep-a", "previous_owner_id": None,
                                               "kind": "assign", "pool_id": "p1", "by": "m-east",
                                               "movement_id": "M8", "claimed_at": at("06-16")}, 3)
    h.customer("C2", "owner_changed", "06-15", from_owner_id="rep-a", to_owner_id="rep-b", claim_count=1,
               **b, **{"kind": "pool_claim"})
    h.customer("C2", "followed_up", "06-29", followup_id="F2", channel="visit", summary="s", goal_met=False,
               next_contact_at=at("07-05"))
    # C3: rep-b, from L3; won 15 days after the lead came in; paid twice
    h.customer("C3", "created", "06-06", source_lead_id="L3", industry="manufacturing", **b)
    h.customer("C3", "qualified", "06-06", qualitative="valuable", grade="normal", expected_amount="50000.00",
               expected_sign_date="2026-06-30")
    h.customer("C3", "stage_changed", "06-07", to="initial_contact")
    h.customer("C3", "stage_changed", "06-10", to="proposal")
    h.customer("C3", "stage_changed", "06-20", to="contract_signed")
    h.customer("C3", "contract_signed", "06-20", contract_id="K3", title=None, amount="50000.10",
               start_date="2026-06-20", end_date="2027-06-19", order_total="50000.10")
    h.customer("C3", "won", "06-20", order_total="50000.10")
    h.customer("C3", "payment_received", "06-21", payment_id="P1", contract_id="K3", amount="20000.05",
               received_on="2026-06-21", paid_total="20000.05", outstanding="30000.05")
    h.customer("C3", "payment_received", "06-25", payment_id="P2", contract_id="K3", amount="30000.05",
               received_on="2026-06-25", paid_total="50000.10", outstanding="0.00")
    # C4: rep-a, lost after 5 days; C5: rep-a, deleted; C6: rep-b's, rep-a collaborates, paid once
    h.customer("C4", "created", "06-03", **a)
    h.customer("C4", "stage_changed", "06-08", to="lost")
    h.customer("C4", "lost", "06-08", reason="budget")
    h.customer("C5", "created", "06-04", **a)
    h.customer("C5", "followed_up", "06-05", followup_id="F5", channel="phone", summary="s", goal_met=True,
               next_contact_at=at("06-06"))
    h.customer("C5", "deleted", "06-12")
    h.customer("C6", "created", "06-05", collaborator_ids=["rep-a"], **b)
    h.customer("C6", "payment_received", "06-28", payment_id="P6", contract_id=None, amount="1000.00",
               received_on="2026-06-28", paid_total="1000.00", outstanding="-1000.00")
    # Notifications: reminders that reached someone say a contact was due until a follow-up answers it
    notice = lambda status, delivery, kind, channel, user, cid, day, version: h.emit(  # noqa: E731
        f"crm.notification.{status}", f"{kind}:{cid}:{user}:{channel}", {
            "delivery_id": delivery, "key": f"{kind}:{cid}:{user}:{channel}", "channel": channel, "kind": kind,
            "user_id": user, "customer_id": cid, "lead_id": None, "robot_id": None, "attempts": 1,
            **({"sent_at": at(day)} if status == "sent" else {"failed_at": at(day), "error": "HTTP 500"})}, version)
    notice("sent", "D1", "cadence", "email", "rep-b", "C6", "06-27", 1)        # C6 never followed up: overdue
    notice("sent", "D2", "next_contact", "email", "rep-a", "C2", "06-20", 1)   # C2 followed up since (06-29)
    notice("failed", "D3", "overdue", "robot", "m-east", "C1", "06-22", 1)     # failed: no reminder reached
    notice("failed", "D4", "cadence", "webhook", "rep-a", "C1", "06-24", 1)    # ... retried by an admin:
    notice("sent", "D4", "cadence", "webhook", "rep-a", "C1", "06-25", 2)      # sent; C1 was due 06-20 already
    notice("sent", "D5", "cadence", "email", "rep-a", "C5", "06-13", 1)        # C5 is deleted
    return h.events


def request(cid, kind, expected_owner, to_owner, pool_id, day) -> dict:
    """crm.pool.ownership_requested: the pool asks the customer service to move a customer."""
    return {"request_id": f"R-{cid}-{kind}", "customer_id": cid, "kind": kind, "expected": {"owner_id": expected_owner},
            "to_owner_id": to_owner, "pool_id": pool_id, "by": "pool", "requested_at": at(day)}


def delivery(events: list[dict], *, in_version_order: bool) -> list[dict]:
    """The same history as a consumer may see it: events of different aggregates out of order (leads and
    users, each in its own order, after the customers that name them), every third event again, C1's second stage move and
    first qualification again after its later events. Without `in_version_order` those two of C1 come
    only after its later events: what the relay never does, but the handlers must survive it."""
    late = [e for e in events if e["type"].startswith(("crm.lead.", "crm.user."))]
    rest = [e for e in events if e not in late]
    c1 = [e for e in rest if e["subject"] == "C1"]
    if not in_version_order:
        rest = [e for e in rest if e not in (c1[2], c1[3])]
    return rest + [c1[3], c1[2]] + rest[::3] + late + late[::2]


HAND = {  # the answers, computed by hand from the history above, for an admin with no filters
    "funnel": {  # stage: count, entered, advanced, conversion_rate, avg_days
        "lead_acquired": (2, 5, 2, 0.4, 2.67), "initial_contact": (0, 2, 2, 1.0, 4.0),
        "needs_confirmed": (1, 1, 0, 0.0, None), "proposal": (0, 1, 1, 1.0, 10.0),
        "negotiation": (0, 0, 0, None, None), "contract_signed": (1, 1, 0, 0.0, None),
        "lost": (1, 1, 0, 0.0, None)},
}
