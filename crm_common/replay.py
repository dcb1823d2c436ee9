"""Publish again what a service's outbox sent since a moment: after a broker lost its
messages (the local broker keeps them in memory), or for a consumer that needs history.

    python -m crm_common.replay customer --since 2026-11-22T08:00:00Z

Sent rows are kept for RETENTION_DAYS. Consumers drop the copies they already handled
(processed event ids), so a replay has no second effect where it was already applied.
"""
from __future__ import annotations

import argparse
from datetime import datetime

from . import mongo
from .events import parse_time
from .outbox import PENDING, SENT
from .settings import Settings

RETENTION_DAYS = 7


def mark_for_replay(db, since: datetime) -> int:
    return db.outbox.update_many({"status": SENT, "sent_at": {"$gte": since}},
                                 {"$set": {"status": PENDING}, "$unset": {"sent_at": ""}}).modified_count


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", help="e.g. lead-intake, customer, pool")
    parser.add_argument("--since", required=True, type=parse_time)
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.service)
    client = mongo.connect(settings.mongo_uri)
    count = mark_for_replay(client[settings.mongo_db], args.since)
    print(f"{count} events of {args.service} will be published again by its worker")


if __name__ == "__main__":
    main()
