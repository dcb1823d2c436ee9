"""The unit tier: pure code only. A test here that asks for the servers fails at once, so the
tier stays fast (`make test-fast`) and runs on a machine with nothing but Python."""
import pytest


@pytest.fixture(scope="session")
def session_servers():
    pytest.fail("a unit test asked for servers: move it to an integration folder, or test the pure function")
