"""Data scope (DOMAIN §2): whom a caller may hand work to, and which customers they may see.

A principal is anything with `user_id`, `role`, `department_path` and `is_admin`
(crm_common.auth.Principal in a request).
"""
from __future__ import annotations


def within_subtree(principal, department_path: list) -> bool:
    """May `principal` hand work to a user of `department_path`? An admin anyone; a manager only
    users of their own department or one below it; a rep nobody but through their own rules."""
    if principal.is_admin:
        return True
    return principal.role == "manager" and bool(principal.department_path) and \
        principal.department_path[-1] in (department_path or [])


def customer_scope(principal) -> dict:
    """The MongoDB filter of the customers a caller may see (DOMAIN §2, data scope).

    Collections that hold customer data keep `owner_id`, `collaborator_ids` and
    `department_path` so this one filter serves every service.
    """
    if principal.is_admin:
        return {}
    if principal.role == "manager" and principal.department_path:
        return {"department_path": principal.department_path[-1]}
    return {"$or": [{"owner_id": principal.user_id}, {"collaborator_ids": principal.user_id}]}
