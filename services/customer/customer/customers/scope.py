"""Data scope and views (DOMAIN §2): who sees which customers.

The role's scope (crm_common.auth.customer_scope) is always applied; a view
only narrows it: all, mine, collaborating, or my subordinates'.
"""
from __future__ import annotations

from flask import g

from crm_common.kernel.scope import customer_scope
from crm_common.kernel.refusals import NotFound
from crm_common.queries import both, find_one
from crm_common.web import runtime

from ..org import users

VIEWS = ("all", "mine", "collaborating", "subordinates")


def view_filter(rt, principal, view: str) -> dict:
    if view == "mine":
        return {"owner_id": principal.user_id}
    if view == "collaborating":
        return {"collaborator_ids": principal.user_id}
    if view == "subordinates":
        return {"owner_id": {"$in": users.subordinate_ids(rt, principal.user_id)}}
    return {}


def scoped(query: dict, view: str = "all") -> dict:
    """The caller's scope AND their view AND `query`."""
    return both(customer_scope(g.principal), view_filter(runtime(), g.principal, view), query)


def mine() -> dict:
    """The scope of the caller, for loading one customer."""
    return customer_scope(g.principal)


def visible(customer_id: str) -> dict:
    customer = find_one(runtime().db.customers, both({"_id": customer_id}, mine()))
    if customer is None:
        raise NotFound("no such customer")  # the same answer whether it exists or is out of scope
    return customer
