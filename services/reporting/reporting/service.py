"""The reporting service, described once for its app and its worker."""
from crm_common.scheduler import Job
from crm_common.service import ServiceSpec

from .dashboard import routes as dashboard
from .model import handlers, store
from .model.days import timezone_of
from .rebuild import jobs as rebuild
from .rebuild import routes as rebuild_routes
from .reports import rfm_settings, routes
from .workbench import routes as workbench


def live_handlers(rt):
    # The live consumer group writes into whichever version the pointer names when the event comes.
    return handlers.for_models(lambda session: store.live(rt.db, session), timezone_of(rt.settings))


def on_start(rt):
    store.live(rt.db).ensure_indexes()


def jobs(rt):
    return [Job("reports-rebuild", 2.0, lambda: rebuild.job(rt))]


SPEC = ServiceSpec(name="reporting", package="reporting", handlers=live_handlers, jobs=jobs, on_start=on_start,
                   blueprints=[routes.blp, rfm_settings.blp, workbench.blp, rebuild_routes.blp, dashboard.blp])
