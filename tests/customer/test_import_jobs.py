"""A customer CSV import past 500 rows runs as a job: 202 with the status URL, the worker imports it, and
the status answers the per-row report the synchronous import gives. The job is kept in MongoDB, so a
restart loses nothing, and a job resumed after its runner died imports no row twice."""
from datetime import datetime, timedelta, timezone

import pytest
from pymongo.errors import AutoReconnect

from crm_common import importjobs
from customer.app import create_app
from customer.imports import jobs


def rows_csv(count: int, prefix: str) -> bytes:
    lines = [f"{prefix} {n},Person {n},139{n:08d}" for n in range(1, count + 1)]
    return ("name,contact_name,phone\n" + "\n".join(lines) + "\n").encode()


def post(client, headers, body: bytes):
    return client.post("/v1/customers:import", data=body, content_type="text/csv", headers=headers)


def test_an_import_past_500_rows_is_a_job_whose_status_gives_the_per_row_report(org, client, rt):
    alice = org.headers["alice"]
    accepted = post(client, alice, rows_csv(importjobs.SYNC_MAX_ROWS + 1, "Big"))
    assert accepted.status_code == 202, accepted.json
    url = accepted.headers["Location"]
    assert url == f"/v1/imports/{accepted.json['id']}"
    assert (accepted.json["state"], accepted.json["rows"], accepted.json["processed"]) == ("queued", 501, 0)
    assert rt.db.customers.count_documents({"name": {"$regex": "^Big "}}) == 0  # nothing before the worker
    assert client.get(url, headers=org.headers["bob"]).status_code == 404  # another rep's import
    assert importjobs.run_one(rt, jobs.import_chunk) == accepted.json["id"]
    done = client.get(url, headers=alice)
    assert done.status_code == 200 and done.json["state"] == "done", done.json
    report = done.json["report"]
    assert (report["created"], report["duplicates"], report["rejected"]) == (501, 0, 0)
    made = {c["_id"]: c for c in rt.db.customers.find({"name": {"$regex": "^Big "}})}
    assert [r["row"] for r in report["results"]] == list(range(1, 502))
    assert {r["id"] for r in report["results"]} == set(made) and len(made) == 501
    assert {c["owner_id"] for c in made.values()} == {org.id("alice")}
    assert client.get(url, headers=org.admin).json["report"] == report
    assert rt.db.import_chunks.count_documents({"rows": {"$exists": True}}) == 0  # the file is not kept past it
    assert importjobs.run_one(rt, jobs.import_chunk) is None  # nothing left to do


def test_500_rows_are_still_answered_at_once(org, client, monkeypatch):
    monkeypatch.setattr(importjobs, "SYNC_MAX_ROWS", 3)
    assert post(client, org.headers["alice"], rows_csv(3, "Small")).status_code == 200
    assert post(client, org.headers["alice"], rows_csv(4, "Small x")).status_code == 202


@pytest.fixture
def small_jobs(monkeypatch):
    """Jobs of a few rows, in chunks of three: the same code, without importing hundreds of rows."""
    monkeypatch.setattr(importjobs, "SYNC_MAX_ROWS", 4)
    monkeypatch.setattr(importjobs, "CHUNK_ROWS", 3)


def test_a_job_survives_a_restart_and_its_resumption_imports_no_row_twice(org, client, app_for, monkeypatch,
                                                                         small_jobs):
    body = (b"name,contact_name,phone\nR1,Li,13911110001\nR2,Wu,13911110002\nR3,Xu,12\nR4,Ma,13911110004\n"
            b"R5,Sun,13911110005\nR6 again,Wu,13911110002\nR7,Hu,13911110007\n")
    accepted = post(client, org.headers["alice"], body)
    assert accepted.status_code == 202, accepted.json
    # the service restarts: a new process, with only what MongoDB kept
    restarted = app_for(create_app, "customer").extensions["crm"]
    from crm_common.runtime import Runtime
    real, calls = Runtime.transaction, []

    def dies_after_the_fifth_row(self, work):  # rows 1, 2, 4, 5 write; 5 commits and the process dies
        result = real(self, work)
        calls.append(work)
        if len(calls) == 4:
            monkeypatch.setattr(Runtime, "transaction", real)
            raise AutoReconnect("connection closed")
        return result
    monkeypatch.setattr(Runtime, "transaction", dies_after_the_fifth_row)
    with pytest.raises(AutoReconnect):
        importjobs.run_one(restarted, jobs.import_chunk)
    url = accepted.headers["Location"]
    halfway = client.get(url, headers=org.headers["alice"]).json
    # chunk 1 (R1, R2 created, R3 refused), and R4 and R5 of chunk 2
    assert (halfway["state"], halfway["processed"], halfway["created"]) == ("running", 5, 4)
    assert importjobs.run_one(restarted, jobs.import_chunk) is None  # its runner may still be at work
    restarted.db.import_jobs.update_one({"_id": accepted.json["id"]}, {"$set": {
        "beat_at": datetime.now(timezone.utc) - timedelta(seconds=importjobs.STALE_SECONDS + 1)}})
    assert importjobs.run_one(restarted, jobs.import_chunk) == accepted.json["id"]
    done = client.get(url, headers=org.headers["alice"]).json
    assert done["state"] == "done", done
    statuses = [(r["row"], r["status"]) for r in done["report"]["results"]]
    assert statuses == [(1, 201), (2, 201), (3, 400), (4, 201), (5, 201), (6, 200), (7, 201)]
    names = [c["name"] for c in restarted.db.customers.find({"name": {"$regex": "^R[0-9]"}})]
    assert sorted(names) == ["R1", "R2", "R4", "R5", "R7"]  # each once: R4 and R5 were not imported again
    r2 = restarted.db.customers.find_one({"name": "R2"})["_id"]
    assert done["report"]["results"][5]["duplicate_of"] == r2  # R6 is R2's duplicate, not a new customer


def test_a_retried_post_whose_202_was_lost_names_the_same_job(org, client, rt, monkeypatch, small_jobs):
    real = importjobs.status

    def reply_lost(*args):  # the job is kept, then the connection drops before the answer
        monkeypatch.setattr(importjobs, "status", real)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(importjobs, "status", reply_lost)
    headers = {**org.headers["alice"], "Idempotency-Key": "big-import-1"}
    body = rows_csv(5, "Keyed")
    assert post(client, headers, body).status_code == 503
    retry = post(client, headers, body)
    assert retry.status_code == 202 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    again = post(client, headers, body)
    assert (again.status_code, again.headers["Location"]) == (202, retry.headers["Location"])
    assert retry.headers["Location"] == f"/v1/imports/{retry.json['id']}"
    assert rt.db.import_jobs.count_documents({}) == 1
    importjobs.run_one(rt, jobs.import_chunk)
    assert rt.db.customers.count_documents({"name": {"$regex": "^Keyed "}}) == 5


def test_the_openapi_document_describes_the_job_answer_and_its_status(client):
    paths = client.get("/openapi.json").json["paths"]
    accepted = paths["/v1/customers:import"]["post"]["responses"]["202"]
    assert "Location" in accepted["headers"] and "200" in paths["/v1/customers:import"]["post"]["responses"]
    status = paths["/v1/imports/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert status  # the job's schema: state, counts, report


def test_the_workers_scheduled_imports_job_runs_a_queued_import(org, client, rt, small_jobs):
    import time
    accepted = post(client, org.headers["alice"], rows_csv(6, "Scheduled"))
    assert accepted.status_code == 202
    assert "imports" in rt.scheduler.jobs  # registered with the service's worker, beside its other jobs
    for thread in rt.scheduler.start_due():  # what the worker's tick does
        thread.join(10)
    deadline = time.monotonic() + 30
    while client.get(accepted.headers["Location"], headers=org.headers["alice"]).json["state"] != "done":
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.2)
    assert rt.db.customers.count_documents({"name": {"$regex": "^Scheduled "}}) == 6
