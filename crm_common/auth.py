"""User tokens (JWT) and channel API keys.

A token carries the user, role and department path, so every service checks
data scope without calling the customer service.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

import jwt
from flask import current_app, g, request

from . import ratelimit, tokens
from .errors import Problem

ROLES = ("admin", "manager", "rep")
ALGORITHM = "HS256"
ISSUER = "crm-customer"
# Every user's writes share one budget across replicas; reads stay uncounted,
# so a dashboard or a list cannot be locked out. Far above a person's pace, well below a script's.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    role: str
    department_path: list = field(default_factory=list)
    token_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def issue_token(secret: str, principal: Principal, ttl_seconds: int) -> str:
    # Real time, not the movable clock: expiry is a security property.
    now = int(time.time())
    claims = {
        "sub": principal.user_id, "username": principal.username, "role": principal.role,
        "dept_path": list(principal.department_path), "tv": principal.token_version, "iss": ISSUER, "iat": now, "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError as exc:
        raise Problem(401, "the token has expired", headers={"WWW-Authenticate": "Bearer"}) from exc
    except jwt.InvalidTokenError as exc:
        raise Problem(401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"}) from exc
    if claims.get("role") not in ROLES:
        raise Problem(401, "the token names no known role", headers={"WWW-Authenticate": "Bearer"})
    return Principal(claims["sub"], claims.get("username", ""), claims["role"], claims.get("dept_path", []),
                     int(claims.get("tv", 0)))


def current_principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    rt = current_app.extensions["crm"]
    principal = decode_token(rt.settings.jwt_secret, token.strip())
    # bootstrap names the collection; a bare Runtime (benches, scripts) reads the event-fed copy
    refused = tokens.refusal(rt.db, principal.user_id, principal.token_version,
                             getattr(rt, "token_versions", tokens.COLLECTION))
    if refused:
        raise Problem(401, refused, headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_user(*roles: str):
    """Decorator: the caller must carry a valid token, with one of `roles` if given."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.principal = current_principal()
            if roles and g.principal.role not in roles:
                raise Problem(403, f"this needs the role {' or '.join(roles)}")
            if request.method in WRITE_METHODS:
                ratelimit.check(current_app.extensions["crm"], f"writes:{g.principal.user_id}",
                                current_app.extensions["crm"].settings.user_writes_per_minute)
            return view(*args, **kwargs)
        doc = wrapper.__dict__.setdefault("_apidoc", {})
        doc.setdefault("manual_doc", {})["security"] = [{"bearerAuth": []}]
        return wrapper
    return decorate


# Channel API keys: high-entropy random secrets, so one SHA-256 is enough to store them safely.
def new_api_key() -> str:
    return "ck_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def same_key(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)
