"""Rebuild from the first event, with a broker that lost its messages in between (issue 11, must-show 5)."""
import threading

from crm_common import consumer, kafka
from crm_common.events import encode, topic_for
from crm_common.testing import state
from reporting import service
from reporting.model import store
from reporting.rebuild import jobs as rebuild

from .history import EAST, build

REPORTS = ["funnel", "reps", "going-cold", "channels", "sales-cycle", "rfm", "pool", "forecast"]
VIEWERS = [("u-admin", "admin", ()), ("m-east", "manager", EAST), ("rep-a", "rep", ())]


def publish(rt, events):
    """What each service's worker does when it finds the broker empty: publish its event log again."""
    for event in events:
        rt.producer.send(topic_for(event["type"]), key=event["subject"].encode(), value=encode(event))
    rt.producer.flush()


def everything(get):
    answers = {(name, user): get(f"/v1/reports/{name}", user, role, dept)
               for name in REPORTS for user, role, dept in VIEWERS}
    answers["rfm-at-risk"] = get("/v1/reports/rfm", segment="at_risk")
    answers["workbench"] = get("/v1/workbench", "rep-a", "rep")
    return answers


def test_a_rebuild_from_the_event_log_gives_the_same_answers_and_reports_answer_throughout(
        rt, servers, at_now, get, client, token_for):
    events = build(rt)
    handlers = service.live_handlers(rt)
    for event in events:
        consumer.deliver(rt, "reporting", handlers, event)
    kafka.ensure_topics(rt.settings)
    publish(rt, events)
    before = everything(get)
    assert before[("funnel", "u-admin")]["stages"][0]["count"] == 2

    state.delete_topics(servers.kafka_bootstrap)  # the broker restarted empty ...
    kafka.ensure_topics(rt.settings)
    publish(rt, events)                           # ... and the services published their logs again

    admin = token_for("u-admin", "admin")
    assert client.post("/v1/reports:rebuild", headers=token_for("rep-a", "rep")).status_code == 403
    asked = client.post("/v1/reports:rebuild", headers=admin)
    assert asked.status_code == 202 and asked.get_json()["state"] == "pending"
    assert client.post("/v1/reports:rebuild", headers=admin).get_json()["requested_at"] == \
        asked.get_json()["requested_at"]
    worker = threading.Thread(target=rebuild.run_requested, args=(rt,))
    worker.start()
    during = 0
    while worker.is_alive():                      # reports keep answering, with the same numbers
        assert get("/v1/reports/funnel") == before[("funnel", "u-admin")]
        during += 1
    worker.join()
    status = client.get("/v1/reports:rebuild", headers=admin).get_json()
    assert status["state"] == "done" and status["live_prefix"] == "v2_" and during > 3
    assert status["result"]["events_applied"] >= len(events)
    assert everything(get) == before
    assert "v2_customers" in rt.db.list_collection_names()
    for name, indexes in store.INDEXES.items():  # filled without the reports' indexes, live with all of them
        assert {i.document["name"] for i in indexes} <= set(rt.db["v2_" + name].index_information())
    left = [r["_id"] for r in rt.db.applied_versions.find() if r["_id"].startswith("reporting-rebuild-")]
    assert left == [] and rt.db.applied_versions.count_documents({}) > 0  # the live group's rows stay
