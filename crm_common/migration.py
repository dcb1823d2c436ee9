"""What every one-off migration command shares: the stored documents a batch at a time, and a run
against the servers the admin commands reach (`Settings.for_tool`), timed and reported on stderr."""
from __future__ import annotations

import sys
import time
from itertools import islice

from . import mongo
from .settings import Settings


def batches(cursor, size: int):
    """`cursor`'s documents in lists of at most `size`, so a migration writes in bulk without holding all."""
    while batch := list(islice(cursor, size)):
        yield batch


def run(service: str, migrate, verb: str = "rewritten") -> None:
    """`migrate(db)` on the service's database, then what it counted, and how long it took."""
    settings = Settings.for_tool(service)
    client = mongo.connect(settings.mongo_uri, wait_seconds=5)
    started = time.monotonic()
    try:
        counts = migrate(client[settings.mongo_db])
    finally:
        client.close()
    print(f"{counts} {verb} in {time.monotonic() - started:.1f} s", file=sys.stderr)
