"""Dead letters, held partitions and aggregates, parked events and failed outbox rows of one service, for an admin.

    python -m crm_common.dlq list <service>        # dead letters of the service's consumer group
    python -m crm_common.dlq redrive <service>     # hand them to the group again, in order
    python -m crm_common.dlq held <service>        # partitions held by an event being retried, aggregates
                                                   # held by a dead letter, events parked behind a gap
    python -m crm_common.dlq skip <service> <topic> <partition>   # move the retried event to the DLQ now
    python -m crm_common.dlq skip <service> <aggregate>           # e.g. customer:C1: go on without its dead letter
    python -m crm_common.dlq skip-gap <service> <aggregate>       # apply its parked events without the missing ones
    python -m crm_common.dlq outbox <service>      # outbox events that failed to publish
    python -m crm_common.dlq outbox-retry <service> [event id]

A re-driven event goes back on its topic addressed to that group only, under the version guard's
rules: a fact (a payment, a follow-up) its aggregate has moved past is applied still, once; a
snapshot older than the aggregate changes nothing. A dead letter that ran out of retries holds its
aggregate: its later events are parked until it is redriven and applied (then they follow, in
order) or skipped. The worker acts on `skip` and `skip-gap` within a second or so.
Defaults reach `make run`'s servers; MONGO_URI and KAFKA_BOOTSTRAP_SERVERS override.
"""
from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timezone

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from . import mongo, outbox
from .consumer import REDRIVE_HEADER, RELEASES
from .events import TOPICS, dead_letter_topic
from .settings import Settings


def dead_letters(settings, group: str) -> list:
    """Every dead-lettered message of `group`, oldest first per topic."""
    consumer = KafkaConsumer(**settings.kafka_client(), enable_auto_commit=False,
                             allow_auto_create_topics=False)
    try:
        found = []
        for topic in TOPICS:
            partitions = consumer.partitions_for_topic(dead_letter_topic(topic)) or set()
            tps = [TopicPartition(dead_letter_topic(topic), p) for p in sorted(partitions)]
            if not tps:
                continue
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=500).values():
                    found += [m for m in records if dict(m.headers or []).get("dlq_group", b"").decode() == group]
        return sorted(found, key=lambda m: (m.topic, m.timestamp, m.offset))
    finally:
        consumer.close()


def redrive(settings, group: str) -> int:
    producer = KafkaProducer(**settings.kafka_client(), acks="all", allow_auto_create_topics=False)
    try:
        letters = dead_letters(settings, group)
        for m in letters:
            headers = {k: v for k, v in (m.headers or [])}
            kept = [(k, v) for k, v in (m.headers or []) if not k.startswith("dlq_")]
            producer.send(headers["dlq_topic"].decode(), key=m.key, value=m.value,
                          headers=kept + [(REDRIVE_HEADER, group.encode())]).get(timeout=10)
        return len(letters)
    finally:
        producer.close()


def waiting(db, group: str) -> list[dict]:
    """Aggregates of `group` held by a dead letter or with events parked behind a gap."""
    rows = db.applied_versions.find({"_id": {"$regex": f"^{re.escape(group)}\\|"},
                                     "$or": [{"held": {"$exists": True}}, {"parked.0": {"$exists": True}}]})
    return [{"aggregate": row["_id"].split("|", 1)[1], "version": row["version"], "held": row.get("held"),
             "parked": row.get("parked", [])} for row in rows]


def release(db, group: str, aggregate: str, action: str) -> str:
    """Ask the group's worker to let `aggregate` go on: without its dead letter (`skip`) or its gap (`gap`)."""
    row = db.applied_versions.find_one({"_id": f"{group}|{aggregate}"}) or {}
    if action == "skip" and not row.get("held"):
        return f"{aggregate} is not held for {group}"
    if action == "gap" and (row.get("held") or not row.get("parked")):
        return (f"{aggregate} is held by a dead letter: redrive or skip it" if row.get("held")
                else f"no event of {aggregate} waits for {group}")
    db[RELEASES].replace_one({"_id": f"{group}|{aggregate}"}, {
        "group": group, "stream": aggregate, "action": action, "at": datetime.now(timezone.utc)}, upsert=True)
    return f"the worker lets {aggregate} go on ({len(row.get('parked', []))} parked events follow)"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "redrive", "held", "skip", "skip-gap", "outbox", "outbox-retry"])
    parser.add_argument("service", help="the consumer group is the service's name, e.g. pool")
    parser.add_argument("args", nargs="*")
    args = parser.parse_args(argv)
    settings = Settings.for_tool(args.service)
    if args.command == "list":
        for m in dead_letters(settings, args.service):
            h = {k: v.decode(errors="replace") for k, v in (m.headers or [])}
            print(json.dumps({"from": f"{h.get('dlq_topic')}/{h.get('dlq_partition')}@{h.get('dlq_offset')}",
                              "type": h.get("dlq_type"), "reason": h.get("dlq_reason")}, ensure_ascii=False))
        return
    if args.command == "redrive":
        print(f"{redrive(settings, args.service)} dead letters handed to {args.service} again")
        return
    client = mongo.connect(settings.mongo_uri, wait_seconds=5)
    db = client[settings.mongo_db]
    try:
        if args.command == "held":
            for row in db.consumer_held.find({"group": args.service}, {"_id": 0}):
                print(json.dumps(row, default=str, ensure_ascii=False))
            for row in waiting(db, args.service):
                print(json.dumps(row, default=str, ensure_ascii=False))
        elif args.command in ("skip", "skip-gap") and len(args.args) == 1:
            print(release(db, args.service, args.args[0], "skip" if args.command == "skip" else "gap"))
        elif args.command == "skip":
            topic, partition = args.args[0], int(args.args[1])
            done = db.consumer_held.update_one({"group": args.service, "topic": topic, "partition": partition},
                                               {"$set": {"skip": True}})
            print("the worker moves it to the dead-letter topic at its next retry" if done.matched_count
                  else "no partition of that group is held")
        elif args.command == "outbox":
            for row in db.outbox.find({"status": outbox.FAILED}, {"event": 0}).sort("seq", 1):
                print(json.dumps(row, default=str, ensure_ascii=False))
        else:
            print(f"{outbox.retry_failed(db, args.args[0] if args.args else None)} events queued again")
    finally:
        client.close()


if __name__ == "__main__":
    main()
