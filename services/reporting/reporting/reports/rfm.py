"""RFM segmentation (DOMAIN §5) of the customers who paid: recency (days since the last payment up to
`to` or today), frequency (payments) and monetary value (their sum), each scored 1-5 by quintile of the
customers in scope (ties share a score), and segmented by R and F."""
from __future__ import annotations

from bisect import bisect_left
from datetime import date

from crm_common.kernel.money import yuan

SEGMENTS = ("champions", "loyal", "potential_loyalist", "new", "promising", "need_attention", "about_to_sleep",
            "at_risk", "cant_lose", "hibernating", "lost")


def segment(r: int, f: int) -> str:
    """The R/F segment map (rows R 1-5, columns F 1-5), with R1F1 split from hibernating as lost."""
    if r <= 2:
        return "lost" if (r, f) == (1, 1) else "hibernating" if f <= 2 else "at_risk" if f <= 4 else "cant_lose"
    if r == 3:
        return "about_to_sleep" if f <= 2 else "need_attention" if f == 3 else "loyal"
    if r == 4:
        return "promising" if f == 1 else "potential_loyalist" if f <= 3 else "loyal"
    return "new" if f == 1 else "potential_loyalist" if f <= 3 else "champions"


def quintile(values: list, value) -> int:
    """1-5 by the share of values strictly below `value` (ties share a score)."""
    ordered = sorted(values)
    return 1 + min(4, bisect_left(ordered, value) * 5 // len(ordered))


def payer(doc: dict, end: date, start: str | None = None) -> dict | None:
    """A customer's recency, frequency and money from its payments received from `start` to `end`;
    None when it paid nothing then."""
    paid = [p for p in doc["payments"].values()
            if (not start or p["on"] >= start) and p["on"][:10] <= end.isoformat()]
    if not paid:
        return None
    last = max(p["on"][:10] for p in paid)
    return {"customer_id": doc["_id"], "name": doc.get("name"), "owner_id": doc.get("owner_id"),
            "recency_days": (end - date.fromisoformat(last)).days, "frequency": len(paid),
            "monetary_fen": sum(p["fen"] for p in paid)}


def rfm(customers: list[dict], end: date, *, start: str | None = None, channel: str | None = None,
        campaign: str | None = None, only: str | None = None) -> dict:
    """The count of each segment, or with `only` the customers of that segment, from the records of
    the customers in scope who paid (filtered by their source lead's channel and campaign)."""
    found = []
    for doc in customers:
        lead = doc.get("lead") or {}
        if (channel and lead.get("channel") != channel) or (campaign and lead.get("campaign") != campaign):
            continue
        scores = payer(doc, end, start)
        if scores:
            found.append(scores)
    recency = [-c["recency_days"] for c in found]
    frequency, monetary = [c["frequency"] for c in found], [c["monetary_fen"] for c in found]
    for c in found:
        c.update(r=quintile(recency, -c["recency_days"]), f=quintile(frequency, c["frequency"]),
                 m=quintile(monetary, c["monetary_fen"]))
        c["segment"] = segment(c["r"], c["f"])
        c["monetary"] = yuan(c.pop("monetary_fen"))
    if only:
        return {"segment": only, "items": sorted((c for c in found if c["segment"] == only),
                                                  key=lambda c: c["customer_id"])}
    counts = {s: 0 for s in SEGMENTS}
    for c in found:
        counts[c["segment"]] += 1
    return {"segments": [{"segment": s, "count": n} for s, n in counts.items()]}
