"""The automation service, described once for its app and its worker."""
from crm_common.scheduler import Job
from crm_common.service import ServiceSpec

from .rules import routes as rule_routes
from .rules import templating
from .rules import store as rules
from .runs import firing, records, stats, throttle, timed
from .runs import log as runs
from .runs import routes as run_routes

INDEXES = {**rules.INDEXES, **runs.INDEXES, **records.INDEXES, **stats.INDEXES,
           **throttle.INDEXES}

def jobs(rt):
    return [Job("time-triggers", timed.EVERY_SECONDS, lambda: timed.fire_due(rt), lease_seconds=300)]


SPEC = ServiceSpec(name="automation", package="automation",
                   blueprints=[rule_routes.blp, templating.blp, run_routes.blp], indexes=INDEXES,
                   handlers=firing.handlers, jobs=jobs)
