"""Publish a service's event log again, from the first event or since a moment.

    python -m crm_common.replay customer                  # everything, from the first event
    python -m crm_common.replay customer --since 2026-11-22T08:00:00Z

Sent outbox rows are the service's permanent event log; this queues them again and the
service's worker publishes them, each aggregate in version order. Consumers drop what
they already applied (the version guard), so a replay changes nothing where it was
applied, and lets a new consumer group or a rebuilt read model start from the beginning.
A worker does this by itself when the broker comes back empty; this command is for
anything else. Defaults reach `make run`'s servers; MONGO_URI overrides.
"""
from __future__ import annotations

import argparse
from datetime import datetime

from . import mongo, outbox
from .events import parse_time
from .settings import Settings


def mark_for_replay(db, since: datetime | None = None) -> int:
    if since is None:
        return outbox.republish_all(db)
    return db.outbox.update_many({"status": outbox.SENT, "sent_at": {"$gte": since}},
                                 {"$set": {"status": outbox.PENDING, "attempts": 0}}).modified_count


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", help="e.g. lead-intake, customer, pool, notify")
    parser.add_argument("--since", type=parse_time, help="only events sent at or after this time (RFC 3339)")
    args = parser.parse_args(argv)
    settings = Settings.for_tool(args.service)
    client = mongo.connect(settings.mongo_uri, wait_seconds=5)
    try:
        count = mark_for_replay(client[settings.mongo_db], args.since)
    finally:
        client.close()
    print(f"{count} events of {args.service} will be published again by its worker")


if __name__ == "__main__":
    main()
