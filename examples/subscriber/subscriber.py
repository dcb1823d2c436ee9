"""An internal app that follows the CRM's customers: it keeps each customer's name, owner and stage
in its own SQLite file and prints one JSON line for each event it applies.

    python examples/subscriber/subscriber.py                     # against make run's broker
    python examples/subscriber/subscriber.py --stop-when-idle 5  # stop once nothing came for 5 s
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys

from crm_events import Event, Subscriber
from crm_events.types import CustomerSnapshot


def remember(event: Event[CustomerSnapshot], db: sqlite3.Connection) -> None:
    """Every crm.customer.* event carries the customer's snapshot: the newest one is the customer now. (A late
    fact, such as a payment the subscriber had missed, is applied too, but its older snapshot is not kept.)"""
    customer = event.data
    if event.type == "crm.customer.deleted":
        db.execute("DELETE FROM customers WHERE id = ?", (event.subject,))
    else:
        db.execute("INSERT INTO customers VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                   "owner_id = excluded.owner_id, stage = excluded.stage, version = excluded.version "
                   "WHERE excluded.version > customers.version",
                   (event.subject, customer["name"], customer["owner_id"], customer["stage"], event.version))
    print(json.dumps({"type": event.type, "subject": event.subject, "version": event.version,
                      "name": customer.get("name"), "stage": customer.get("stage")}, ensure_ascii=False), flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    parser.add_argument("--group", default="example-subscriber", help="this app's consumer group")
    parser.add_argument("--state", default="subscriber.sqlite", help="this app's SQLite file")
    parser.add_argument("--from-start", action="store_true", help="read every topic again from its first event")
    parser.add_argument("--stop-when-idle", type=float, help="stop once nothing arrived for this many seconds")
    args = parser.parse_args(argv)
    subscriber = Subscriber(args.bootstrap, args.group, {"crm.customer.*": remember}, state=args.state)
    subscriber.versions.db.execute(
        "CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, name TEXT, owner_id TEXT, stage TEXT, version INT)")
    try:
        if args.from_start:
            subscriber.rewind()
        subscriber.run(stop_when_idle=args.stop_when_idle)
    except KeyboardInterrupt:
        pass
    finally:
        subscriber.close()
    print(f"stopped; {subscriber.invalid} invalid messages passed over", file=sys.stderr)


if __name__ == "__main__":
    main()
