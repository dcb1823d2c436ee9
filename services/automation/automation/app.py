"""HTTP entrypoint: gunicorn "automation.app:create_app()"."""
from crm_common.service import build_app

from .service import SPEC


def create_app(settings=None, **runtime_kwargs):
    return build_app(SPEC, settings, **runtime_kwargs)
