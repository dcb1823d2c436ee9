"""Tokens for tests, signed the way the customer service signs them.

A service refuses a token whose user it has not learnt of from crm.org (crm_common/tokens.py);
`known` records a test's made-up user there as the crm.user.* handler would, and `signed_in`
gives that user's token.
"""
from crm_common import tokens
from crm_common.auth import Principal, issue_token


def bearer(settings, user_id: str = "u-admin", role: str = "admin", department_path=()) -> dict:
    token = issue_token(settings.jwt_secret, Principal(user_id, user_id, role, list(department_path)), 600)
    return {"Authorization": f"Bearer {token}"}


def known(rt, user_id: str) -> None:
    """The service `rt` has learnt of the user, as from crm.user.created; a version or deactivation
    it learnt since stays. The customer service reads its own users: there only a user it created is known."""
    if getattr(rt, "token_versions", tokens.COLLECTION) != tokens.COLLECTION:
        return
    rt.db[tokens.COLLECTION].update_one({"_id": user_id}, {"$setOnInsert": {"token_version": 0, "active": True}},
                                        upsert=True)


def signed_in(rt, user_id: str = "u-admin", role: str = "admin", department_path=()) -> dict:
    """A token of a user the service `rt` knows (see `known`)."""
    known(rt, user_id)
    return bearer(rt.settings, user_id, role, department_path)
