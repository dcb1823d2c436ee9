"""Scoped queries that every MongoDB-protocol engine answers from an index.

Filters are combined flat ({a: .., b: ..}, not {$and: [..]}), and a scope's
top-level $or runs as one query per branch, merged by id. Real MongoDB would
plan the $or itself; the embedded engine used here without Docker scans the
collection for it, so this keeps reads indexed on both. crm_common.paging.page reads
pages this way, so every service's scoped list is indexed.
"""
from __future__ import annotations


def both(*parts: dict) -> dict:
    """The conjunction of filters: one flat dict unless two give one key different conditions."""
    merged: dict = {}
    for part in parts:
        if any(k in merged and merged[k] != v for k, v in part.items()):
            return {"$and": [p for p in parts if p]}
        merged.update(part)
    return merged


def branches(query: dict) -> list[dict]:
    """`query` as a union of flat queries: a top-level $or becomes one query per alternative."""
    if "$or" not in query:
        return [query]
    rest = {k: v for k, v in query.items() if k != "$or"}
    return [both(rest, alternative) for alternative in query["$or"]]


def find_one(collection, query: dict, session=None) -> dict | None:
    for branch in branches(query):
        found = collection.find_one(branch, session=session)
        if found is not None:
            return found
    return None
