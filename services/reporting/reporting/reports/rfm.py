"""Channels and campaigns, sales cycle, RFM and the pool: DOMAIN §5."""
from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import defaultdict
from datetime import date

from crm_common.kernel.scope import customer_scope

from ..model.days import yuan
from .funnel import ratio, usernames
from .query import View, rows


def channels(models, view: View) -> dict:
    items: dict = defaultdict(lambda: {"leads": 0, "duplicates": 0, "possible_duplicates": 0, "converted": 0,
                                       "won": 0, "won_amount": 0})
    for kind, field in (("lead", "leads"), ("dup", "duplicates"), ("possible", "possible_duplicates"),
                        ("converted", "converted"), ("won", "won")):
        for row in rows(models, view, kind, by=("channel", "campaign"), flow=True):
            cell = items[(row.get("channel"), row.get("campaign"))]
            cell[field] += row["n"]
            if kind == "won":
                cell["won_amount"] += row["amount"]
    out = [{"channel": ch, "campaign": cp, **c, "won_amount": yuan(c["won_amount"]),
            "conversion_rate": ratio(c["converted"], c["leads"])} for (ch, cp), c in items.items()]
    return {"items": sorted(out, key=lambda i: (i["channel"] or "", i["campaign"] or ""))}


def sales_cycle(models, view: View) -> dict:
    found = rows(models, view, "cycle", by=("k",), flow=True)

    def summary(index: int, name: str) -> list[dict]:
        days: dict = defaultdict(list)
        for row in found:
            days[row["k"][index]].extend([row["k"][2]] * row["n"])
        return [{name: key, "count": len(v), "median_days": statistics.median(v),
                 "mean_days": round(statistics.fmean(v), 2)} for key, v in sorted(days.items(), key=lambda kv: str(kv[0]))]
    return {"by_grade": summary(0, "grade"), "by_industry": summary(1, "industry")}


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


def rfm(models, view: View, only: str | None = None) -> dict:
    """Recency, frequency and monetary value of payments, for the customers in scope who paid."""
    end = date.fromisoformat(view.end) if view.end else view.today
    conditions = [{"paid": True}, customer_scope(view.principal)]
    for name, field in (("owner_id", "owner_id"), ("department_id", "department_path")):
        if getattr(view, name):
            conditions.append({field: getattr(view, name)})
    query = {"$and": conditions}
    found = []
    for doc in models.customers.find(query, {"contrib": 0, "moves": 0, "followups": 0}):
        lead = doc.get("lead") or {}
        if (view.channel and lead.get("channel") != view.channel) or (
                view.campaign and lead.get("campaign") != view.campaign):
            continue
        paid = [p for p in doc["payments"].values()
                if (not view.start or p["on"] >= view.start) and p["on"][:10] <= end.isoformat()]
        if paid:
            last = max(p["on"][:10] for p in paid)
            found.append({"customer_id": doc["_id"], "name": doc.get("name"), "owner_id": doc.get("owner_id"),
                          "recency_days": (end - date.fromisoformat(last)).days, "frequency": len(paid),
                          "monetary_fen": sum(p["fen"] for p in paid)})
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


POOL_KINDS = ("reclaimed", "claimed", "returned", "assigned")


def pool(models, view: View) -> dict:
    pools: dict = defaultdict(lambda: dict.fromkeys(POOL_KINDS, 0))
    reps: dict = defaultdict(lambda: dict.fromkeys(POOL_KINDS, 0))
    for row in rows(models, view, "pool", by=("k", "owner_id"), flow=True):
        kind, pool_id = row["k"]
        pools[pool_id].setdefault(kind, 0)
        pools[pool_id][kind] += row["n"]
        if row.get("owner_id"):
            reps[row["owner_id"]].setdefault(kind, 0)
            reps[row["owner_id"]][kind] += row["n"]
    names = usernames(models, reps)
    pool_names = {p["_id"]: p["name"] for p in models.pools.find({"_id": {"$in": [p for p in pools if p]}})}
    return {"pools": [{"pool_id": p, "name": pool_names.get(p), **c}
                      for p, c in sorted(pools.items(), key=lambda kv: str(kv[0]))],
            "reps": [{"user_id": u, "username": names.get(u, u), **c} for u, c in sorted(reps.items())]}
