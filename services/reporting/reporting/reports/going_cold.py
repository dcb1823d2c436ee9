"""Follow-up heatmap (DOMAIN §5): the customers of each rep by days since their last follow-up, so a
manager sees who is going cold. Lost customers and those without an owner are not counted."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

BUCKETS = ("0-7", "8-15", "16-30", "31-90", "91-180", ">180", "never")


def bucket(today: date, last_day: str) -> int:
    """The bucket (index into BUCKETS) of a customer last followed up on the local day `last_day`."""
    days = (today - date.fromisoformat(last_day)).days
    for index, upper in enumerate((7, 15, 30, 90, 180)):
        if days <= upper:
            return index
    return 5


def going_cold(cold: list[dict], never: list[dict], *, today: date, names: dict) -> dict:
    """From the rows by owner and day of the last follow-ups (`cold`) and by owner of the customers
    never followed up (`never`)."""
    counts: dict = defaultdict(lambda: [0] * len(BUCKETS))
    for row in cold:
        if row.get("owner_id"):
            counts[row["owner_id"]][bucket(today, row["day"])] += row["n"]
    for row in never:
        if row.get("owner_id"):
            counts[row["owner_id"]][-1] += row["n"]
    out = [{"user_id": u, "username": names.get(u, u), "counts": c} for u, c in counts.items()]
    return {"buckets": list(BUCKETS), "rows": sorted(out, key=lambda r: (r["username"], r["user_id"]))}
