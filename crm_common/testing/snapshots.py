"""The one factory of customer snapshots in tests: what every crm.customer.* event carries.

Its fields are the shared definition's (crm_common/contracts/defs/shared.json, customer_snapshot),
so a fixture cannot drift from what the customer service publishes; a test names only what it cares
about.
"""
from __future__ import annotations

from crm_common.events import shared_defs

SHAPE = shared_defs()["urn:crm:contracts:defs"]["$defs"]["customer_snapshot"]


def contact(name: str = "Wang", *, phones=(), emails=(), wechat_ids=(), contact_id: str = "") -> dict:
    """A contact's identity as a snapshot carries it (phones E.164, emails lower-cased)."""
    return {"contact_id": contact_id, "name": name, "phones": list(phones), "emails": list(emails),
            "wechat_ids": list(wechat_ids)}


def customer_snapshot(customer_id: str = "C1", **fields) -> dict:
    """A whole snapshot: defaults for every field, `fields` over them. An unknown field is refused
    (an event's own fields go beside the snapshot: `{**customer_snapshot(...), "won_at": ...}`)."""
    unknown = set(fields) - set(SHAPE["properties"])
    if unknown:
        raise TypeError(f"not a snapshot field: {', '.join(sorted(unknown))}")
    snapshot = {"customer_id": customer_id, "name": f"Customer {customer_id}", "owner_id": "rep-1",
                "department_path": [], "collaborator_ids": [], "level": "B", "stage": "lead_acquired",
                "lifecycle": "potential", "tags": [], "city": None, "industry": None, "contacts": [],
                "grade": None, "founded_on": None, "birthdays": [], "milestones": {}, "version": 1}
    return {**snapshot, **fields}
