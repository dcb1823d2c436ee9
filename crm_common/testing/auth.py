"""Tokens for tests, signed the way the customer service signs them."""
from crm_common.auth import Principal, issue_token


def bearer(settings, user_id: str = "u-admin", role: str = "admin", department_path=()) -> dict:
    token = issue_token(settings.jwt_secret, Principal(user_id, user_id, role, list(department_path)), 600)
    return {"Authorization": f"Bearer {token}"}

