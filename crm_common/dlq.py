"""Dead letters, held partitions and failed outbox rows of one service, for an admin.

    python -m crm_common.dlq list <service>        # dead letters of the service's consumer group
    python -m crm_common.dlq redrive <service>     # hand them to the group again, in order
    python -m crm_common.dlq held <service>        # partitions held by an event that keeps failing
    python -m crm_common.dlq skip <service> <topic> <partition>   # move the holding event to the DLQ
    python -m crm_common.dlq outbox <service>      # outbox events that failed to publish
    python -m crm_common.dlq outbox-retry <service> [event id]

A re-driven event goes back on its topic addressed to that group only; the version
guard still applies, so one its aggregate has since moved past changes nothing.
Defaults reach `make run`'s servers; MONGO_URI and KAFKA_BOOTSTRAP_SERVERS override.
"""
from __future__ import annotations

import argparse
import json

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from . import mongo, outbox
from .consumer import REDRIVE_HEADER
from .events import TOPICS, dead_letter_topic
from .settings import Settings


def dead_letters(settings, group: str) -> list:
    """Every dead-lettered message of `group`, oldest first per topic."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_servers, enable_auto_commit=False,
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
    producer = KafkaProducer(bootstrap_servers=settings.kafka_servers, acks="all", allow_auto_create_topics=False)
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "redrive", "held", "skip", "outbox", "outbox-retry"])
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
