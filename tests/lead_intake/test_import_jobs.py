"""A lead CSV import past 500 rows runs as a job: 202 with the status URL, the worker takes the rows in,
and the status answers the per-row report the synchronous import gives; a job resumed after its runner
died takes no lead in twice, and a retried POST names the same job."""
from datetime import datetime, timedelta, timezone

import pytest
from pymongo.errors import AutoReconnect

from crm_common import importjobs
from crm_common.testing.events import of
from lead_intake.intake.routes import import_chunk


def rows_csv(count: int) -> bytes:
    return ("name,phone\n" + "".join(f"Lead {n},139{n:08d}\n" for n in range(1, count + 1))).encode()


def test_an_import_past_500_rows_is_a_job_whose_status_gives_the_per_row_report(client, admin, new_channel, rt,
                                                                                 token_for):
    _, channel_id = new_channel("fair")
    body = rows_csv(importjobs.SYNC_MAX_ROWS) + b"Lead again,13900000001\nno contact,\n"
    accepted = client.post(f"/v1/leads:import?channel_id={channel_id}", data=body, content_type="text/csv",
                           headers=admin)
    assert accepted.status_code == 202, accepted.json
    url = accepted.headers["Location"]
    assert (accepted.json["state"], accepted.json["rows"]) == ("queued", 502) and rt.db.leads.count_documents({}) == 0
    assert client.get(url, headers=token_for("someone-else", "manager")).status_code == 404
    assert importjobs.run_one(rt, import_chunk) == accepted.json["id"]
    done = client.get(url, headers=admin).json
    assert done["state"] == "done", done
    report = done["report"]
    assert (report["created"], report["duplicates"], report["rejected"]) == (500, 1, 1)
    assert [r["row"] for r in report["results"]] == list(range(1, 503))
    assert report["results"][500]["status"] == 200 and report["results"][501]["status"] == 400
    assert {r["id"] for r in report["results"][:500]} == {lead["_id"] for lead in rt.db.leads.find()}
    assert len(of(rt, "crm.lead.received")) == 500


@pytest.fixture
def small_jobs(monkeypatch):
    monkeypatch.setattr(importjobs, "SYNC_MAX_ROWS", 2)
    monkeypatch.setattr(importjobs, "CHUNK_ROWS", 2)


def test_a_resumed_job_takes_no_lead_in_twice(client, admin, new_channel, rt, monkeypatch, small_jobs):
    _, channel_id = new_channel("fair")
    accepted = client.post(f"/v1/leads:import?channel_id={channel_id}", data=rows_csv(5), content_type="text/csv",
                           headers=admin)
    assert accepted.status_code == 202, accepted.json
    from crm_common.runtime import Runtime
    real = Runtime.transaction

    def dies_after_the_first_commit(self, work):  # the first chunk commits, then the worker dies
        real(self, work)
        monkeypatch.setattr(Runtime, "transaction", real)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(Runtime, "transaction", dies_after_the_first_commit)
    with pytest.raises(AutoReconnect):
        importjobs.run_one(rt, import_chunk)
    assert rt.db.leads.count_documents({}) == 2
    rt.db.import_jobs.update_one({}, {"$set": {
        "beat_at": datetime.now(timezone.utc) - timedelta(seconds=importjobs.STALE_SECONDS + 1)}})
    assert importjobs.run_one(rt, import_chunk) == accepted.json["id"]
    done = client.get(accepted.headers["Location"], headers=admin).json
    assert [r["status"] for r in done["report"]["results"]] == [201] * 5  # not duplicates of themselves
    assert rt.db.leads.count_documents({}) == 5 and len(of(rt, "crm.lead.received")) == 5


def test_a_retried_post_whose_202_was_lost_names_the_same_job(client, admin, new_channel, rt, monkeypatch,
                                                              small_jobs):
    _, channel_id = new_channel("fair")
    real = importjobs.status

    def reply_lost(*args):
        monkeypatch.setattr(importjobs, "status", real)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(importjobs, "status", reply_lost)
    url, headers = f"/v1/leads:import?channel_id={channel_id}", {**admin, "Idempotency-Key": "big-1"}
    assert client.post(url, data=rows_csv(3), content_type="text/csv", headers=headers).status_code == 503
    retry = client.post(url, data=rows_csv(3), content_type="text/csv", headers=headers)
    assert retry.status_code == 202 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert retry.headers["Location"] == f"/v1/imports/{retry.json['id']}"
    assert rt.db.import_jobs.count_documents({}) == 1
    paths = client.get("/openapi.json").json["paths"]
    assert "Location" in paths["/v1/leads:import"]["post"]["responses"]["202"]["headers"]
    assert "/v1/imports/{job_id}" in paths
