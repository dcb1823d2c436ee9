"""Cursor pagination over a stable sort by id (ids are time-ordered ObjectId strings)."""
from __future__ import annotations

import marshmallow as ma
from bson import ObjectId

from .queries import both, branches

MAX_LIMIT = 200


def new_id() -> str:
    return str(ObjectId())


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = ma.fields.String(load_default=None)


def page(collection, query: dict, *, limit: int, cursor: str | None, session=None) -> dict:
    """One page after `cursor`; a top-level $or is read branch by branch (see queries) and merged by id."""
    found = {}
    for branch in branches(query):
        if cursor:
            branch = both(branch, {"_id": {"$gt": cursor}})
        for doc in collection.find(branch, session=session).sort("_id", 1).limit(limit + 1):
            found[doc["_id"]] = doc
    items = [found[k] for k in sorted(found)][: limit + 1]
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": items[-1]["_id"] if more else None}


def page_schema(item_schema, name: str):
    """A response schema {items: [...], next_cursor} for one item schema."""
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "next_cursor": ma.fields.String(allow_none=True),
    }, name=name)
