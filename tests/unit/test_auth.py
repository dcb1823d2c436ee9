"""User tokens and channel API keys."""
import jwt
import pytest

from crm_common.auth import Principal, decode_token, hash_api_key, issue_token, new_api_key, same_key
from crm_common.errors import Problem

SECRET = "unit-test-secret-of-at-least-32-bytes"
MANAGER = Principal("u7", "mei", "manager", ["root", "sales", "east"])


def test_a_token_carries_the_user_role_and_department_path():
    assert decode_token(SECRET, issue_token(SECRET, MANAGER, 600)) == MANAGER


def refused(secret, token) -> Problem:
    with pytest.raises(Problem) as raised:
        decode_token(secret, token)
    assert raised.value.status == 401 and raised.value.headers == {"WWW-Authenticate": "Bearer"}
    return raised.value


def test_an_expired_token_is_refused_with_401():
    assert "expired" in refused(SECRET, issue_token(SECRET, MANAGER, -5)).detail


def test_a_token_signed_with_another_secret_is_refused_with_401():
    assert "not valid" in refused(SECRET, issue_token("someone-else-with-a-long-enough-key", MANAGER, 600)).detail


@pytest.mark.parametrize("token", ["", "not.a.jwt", "abc"])
def test_a_malformed_token_is_refused_with_401(token):
    refused(SECRET, token)


def test_a_token_with_an_unknown_role_is_refused_with_401():
    assert "role" in refused(SECRET, issue_token(SECRET, Principal("u1", "x", "superuser"), 600)).detail


def test_a_token_from_another_issuer_is_refused_with_401():
    token = jwt.encode({"sub": "u1", "role": "admin", "iat": 1, "exp": 4102444800, "iss": "elsewhere"},
                       SECRET, algorithm="HS256")
    refused(SECRET, token)


def test_an_unsigned_token_is_refused_with_401():
    token = jwt.encode({"sub": "u1", "role": "admin", "iat": 1, "exp": 4102444800, "iss": "crm-customer"},
                       None, algorithm="none")
    refused(SECRET, token)


def test_api_keys_are_random_and_stored_only_as_a_hash():
    key, other = new_api_key(), new_api_key()
    assert key != other and key.startswith("ck_") and len(key) > 40
    stored = hash_api_key(key)
    assert key not in stored and len(stored) == 64
    assert same_key(key, stored)
    assert not same_key(other, stored) and not same_key(key + "x", stored) and not same_key("", stored)
