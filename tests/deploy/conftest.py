import pytest

from tests.deploy.chart import CI_VALUES, render


@pytest.fixture(scope="session")
def renders() -> dict[str, list[dict]]:
    """Every ci/*.yaml values file's render, by file name, made once for the whole folder."""
    return {path.name: render("-f", str(path)) for path in CI_VALUES}
