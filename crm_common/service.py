"""How a service is described once and run as an HTTP app or as a worker."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Callable

from . import audit, logs, mongo, tokens, worker
from .dev import timetravel as devtools
from .clock import Clock
from .outbox import Relay
from .runtime import Runtime
from .scheduler import Job, Scheduler
from .settings import Settings
from .web import create_base_app

log = logging.getLogger(__name__)

RELAY_JOB = "outbox-relay"


@dataclass
class ServiceSpec:
    name: str                                   # e.g. "lead-intake"
    package: str                                # e.g. "lead_intake"
    blueprints: list = field(default_factory=list)
    indexes: dict = field(default_factory=dict)
    handlers: Callable[[Runtime], dict] = lambda rt: {}     # event type -> handler(event, session)
    jobs: Callable[[Runtime], list] = lambda rt: []         # the service's scheduled jobs
    on_start: Callable[[Runtime], None] = lambda rt: None   # e.g. create the first admin
    # Where require_user finds each user's token version and active flag: a copy kept from
    # crm.user.* events, or (the customer service) the users collection it owns.
    token_versions: str = tokens.COLLECTION


def on_data(rt: Runtime, handle: Callable) -> Callable:
    """A consumer handler from `handle(rt, session, data)`: most handlers need only the event's data."""
    return lambda event, session: handle(rt, session, event["data"])


def bootstrap(spec: ServiceSpec, settings: Settings | None = None, **runtime_kwargs) -> Runtime:
    settings = settings or Settings.from_env(spec.name)
    logs.configure(spec.name, settings.log_level)
    rt = Runtime(settings, [spec.indexes, audit.INDEXES], **runtime_kwargs)
    rt.token_versions = spec.token_versions
    # Leases, job cadence and outbox bookkeeping run on wall time: moving the business
    # clock back after a time-travel demo must not leave the relay waiting for days.
    wall = Clock()
    relay = Relay(rt.db, wall, lambda: rt.producer)
    relay_job = Job(RELAY_JOB, 0.05, relay.run_once, lease_seconds=10, on_tick=False)
    rt.scheduler = Scheduler(rt.db, wall, [relay_job] + spec.jobs(rt))
    mongo.through_restarts(lambda: spec.on_start(rt), "start-up")  # each on_start is idempotent
    return rt


def build_app(spec: ServiceSpec, settings: Settings | None = None, **runtime_kwargs):
    rt = bootstrap(spec, settings, **runtime_kwargs)
    app = create_base_app(spec.package, rt)
    api = app.extensions["crm_api"]
    for blp in spec.blueprints:
        api.register_blueprint(blp)
    api.register_blueprint(audit.blp)  # every service keeps its configuration changes (audit.py)
    if rt.settings.is_dev:
        api.register_blueprint(devtools.blp)
    return app


def worker_handlers(spec: ServiceSpec, rt: Runtime) -> dict:
    """The service's handlers, plus the one keeping user token versions where the service keeps a copy."""
    handlers = spec.handlers(rt)
    return tokens.with_user_tokens(rt, handlers) if spec.token_versions == tokens.COLLECTION else handlers


def run_worker(spec: ServiceSpec, settings: Settings | None = None) -> None:
    """The worker process: the service's consumers, its relay and its scheduled jobs, until SIGTERM."""
    rt = bootstrap(spec, settings)
    worker.ensure_topics(rt)
    code = worker.run(rt, spec.name, worker_handlers(spec, rt), RELAY_JOB)
    sys.exit(code)
