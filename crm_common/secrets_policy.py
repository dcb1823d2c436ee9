"""Secrets must be real outside dev and test.

Called by Settings.from_env once the environment is read: a short JWT secret can be
brute-forced from one token, and a placeholder copied from deploy/ is public.
"""
from __future__ import annotations

MIN_JWT_SECRET_BYTES = 32
MIN_PASSWORD_LENGTH = 8  # the user password policy (customer service schemas_org: Length(min=8))
PLACEHOLDERS = ("replace-with", "change-me", "changeme", "dev-only-secret", "...")


# A service's own sealing key, required outside dev and test: sealed with the JWT secret that every
# service shares, one service's environment would open another's stored secrets.
SEALING_KEYS = {"notify": "NOTIFY_SEALING_KEY"}


class WeakSecret(ValueError):
    pass


def sealing_keys(raw: str | None) -> list[str]:
    """The keys of a sealing-key setting: comma-separated, the first seals new values, every one opens."""
    return [k.strip() for k in (raw or "").split(",") if k.strip()]


def check_sealing_key(crm_env: str, service: str, environ: dict, jwt_secret: str) -> None:
    """Raise WeakSecret naming the variable, unless CRM_ENV is dev or test or the service seals nothing."""
    name = SEALING_KEYS.get(service)
    if name is None or crm_env in ("dev", "test"):
        return
    keys = sealing_keys(environ.get(name))
    if not keys:
        raise WeakSecret(f"{name} must be set when CRM_ENV is not dev or test: {service} seals its secrets with it")
    for key in keys:
        if _placeholder(key):
            raise WeakSecret(f"{name} is a placeholder from deploy/: set a random key")
        if len(key.encode()) < MIN_JWT_SECRET_BYTES:
            raise WeakSecret(f"{name}: each key must be at least {MIN_JWT_SECRET_BYTES} bytes")
        if key == jwt_secret:
            raise WeakSecret(f"{name} must differ from JWT_SECRET, which every service shares")


def check(crm_env: str, jwt_secret: str, admin_password: str | None) -> None:
    """Raise WeakSecret naming the variable, unless CRM_ENV is dev or test."""
    if crm_env in ("dev", "test"):
        return
    if _placeholder(jwt_secret):
        raise WeakSecret("JWT_SECRET is a placeholder from deploy/: set a random secret")
    if len(jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise WeakSecret(f"JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
    if admin_password is not None:
        if _placeholder(admin_password):
            raise WeakSecret("CRM_ADMIN_PASSWORD is a placeholder from deploy/")
        problem = password_problem(admin_password)
        if problem:
            raise WeakSecret(f"CRM_ADMIN_PASSWORD: {problem}")


def password_problem(password: str) -> str | None:
    """What is wrong with a password under the user policy, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 200:
        return "a password has at most 200 characters"
    return None


def _placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return any(mark in lowered for mark in PLACEHOLDERS)
