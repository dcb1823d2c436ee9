"""HTTP entrypoint: gunicorn "lead_intake.app:create_app()"."""
from crm_common.service import build_app

from . import companies
from .service import SPEC


def create_app(settings=None, **runtime_kwargs):
    app = build_app(SPEC, settings, **runtime_kwargs)
    rt = app.extensions["crm"]
    # Load the company keys now, not on the first lead; not ready for traffic until they are in.
    keys = companies.keys_of(rt)
    keys.start_loading()
    rt.readiness["company_keys"] = keys.loaded.is_set
    return app
