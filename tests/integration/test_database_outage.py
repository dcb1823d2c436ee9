"""MongoDB goes away and comes back: requests answer 503 quickly, consumers wait without
dead-lettering anything, and what was stored before the restart is still there."""
import time
import uuid

import pytest

from crm_common import kafka
from crm_common.dev import localinfra
from crm_common.consumer import ConsumerLoop
from crm_common.events import encode
from crm_common.testing.auth import signed_in
from crm_common.testing.events import read_topic
from crm_common.testing.snapshots import customer_snapshot
from pool.app import create_app

CUSTOMER = {**customer_snapshot("C1", name="Acme", department_path=["d1"]), "created_at": "2026-11-22T08:00:00Z"}


@pytest.fixture
def database(tmp_path):
    """A MongoDB server of this test's own, which the test stops and starts again on the same files."""
    port, data = localinfra.free_port(), tmp_path / "mongo"

    class Database:
        uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        process = None

        def start(self):
            self.process = localinfra.spawn(localinfra.mongo_command(port, str(data)), port, tmp_path / "mongo.log")

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=30)
    db = Database()
    db.start()
    yield db
    if db.process.poll() is None:
        db.stop()


@pytest.fixture
def app(app_for, database):
    return app_for(create_app, "pool", MONGO_URI=database.uri)


def test_requests_answer_503_while_the_database_is_down_and_data_survives_its_restart(app, database):
    rt = app.extensions["crm"]
    client, admin = app.test_client(), signed_in(rt)
    rt.db.pool_entries.insert_one({"_id": "C1", "customer_id": "C1", "owner_id": "rep-1", "status": "owned",
                                   "department_path": ["d1"], "collaborator_ids": []})
    database.stop()

    started = time.monotonic()
    down = client.get("/v1/pool-entries", headers=admin)
    assert down.status_code == 503 and down.mimetype == "application/problem+json"
    assert down.headers["Retry-After"] == "5" and time.monotonic() - started < 15
    assert client.get("/readyz").status_code == 503

    database.start()
    back = client.get("/v1/pool-entries", headers=admin, query_string={"customer_id": "C1"})
    assert back.status_code == 200 and [e["owner_id"] for e in back.json["items"]] == ["rep-1"]


def test_a_consumer_waits_out_the_outage_and_dead_letters_nothing(app, database, drive, servers):
    rt = app.extensions["crm"]
    kafka.ensure_topics(rt.settings)
    def remember(event, session):
        rt.db.seen_customers.insert_one({"_id": event["subject"]}, session=session)
    loop = ConsumerLoop(rt, f"pool-{uuid.uuid4().hex[:8]}", {"crm.customer.created": remember},
                        backoff_seconds=0.01, outage_pause_seconds=0.2)
    loop.subscribe()
    try:
        event = rt.event("crm.customer.created", "C1", CUSTOMER)
        database.stop()
        rt.producer.send("crm.customers", key=b"C1", value=encode(event)).get(timeout=10)
        for _ in range(3):
            loop.poll_once(timeout_ms=500)  # each attempt fails on the unreachable database
        database.start()
        drive(loop, lambda: rt.db.seen_customers.find_one({"_id": "C1"}) is not None, timeout=60)
        assert read_topic(servers.kafka_bootstrap, "crm.customers.dlq", expect=0, timeout=1) == []
    finally:
        loop.consumer.close(autocommit=False)
