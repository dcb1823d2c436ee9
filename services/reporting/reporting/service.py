"""The reporting service, described once for its app and its worker."""
from crm_common.service import ServiceSpec

from . import handlers, routes, store, workbench


def live_handlers(rt):
    # The live consumer group writes into whichever version the pointer names when the event comes.
    return handlers.for_models(lambda session: store.live(rt.db, session))


def on_start(rt):
    store.live(rt.db).ensure_indexes()


SPEC = ServiceSpec(name="reporting", package="reporting", blueprints=[routes.blp, workbench.blp], handlers=live_handlers,
                   on_start=on_start)
