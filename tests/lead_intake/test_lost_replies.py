"""Lost replies on the remaining idempotent writes of lead intake: the work commits, the connection drops
before the answer is stored; the retry with the same Idempotency-Key gets the first status and body,
`Idempotent-Replayed: true`, and nothing is merged, dismissed or imported twice."""
import pytest

from crm_common.testing.events import of

from .test_idempotency import commit_then_lose_the_reply


def lead(client, channel, **fields):
    answer = client.post("/v1/leads", json=fields, headers=channel)
    assert answer.status_code in (200, 201), answer.json
    return answer.json


def retried_after_a_lost_reply(client, monkeypatch, url, headers, key, committed, **request):
    """The first attempt commits (`committed()` holds) and loses its reply (503); its retry, and one more,
    get the first answer."""
    headers = {**headers, "Idempotency-Key": key}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post(url, headers=headers, **request).status_code == 503
    assert committed()
    retry = client.post(url, headers=headers, **request)
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    again = client.post(url, headers=headers, **request)
    assert (again.status_code, again.json) == (200, retry.json)
    return retry.json


@pytest.mark.parametrize("decision", ["merge", "dismiss"])
def test_a_review_decided_whose_reply_was_lost_is_decided_once(client, channel, admin, rt, monkeypatch, decision):
    first = lead(client, channel, name="Zhao", email="zhao@a.cn", company="云图科技有限公司")
    second = lead(client, channel, name="Qian", phone="13600136000", company="云图科技")
    [review] = client.get("/v1/reviews", headers=admin).json["items"]
    body = {"json": {"candidate_id": first["id"]}} if decision == "merge" else {}
    decided = lambda: rt.db.reviews.find_one({"_id": review["id"]})["status"] != "open"  # noqa: E731
    answer = retried_after_a_lost_reply(client, monkeypatch, f"/v1/reviews/{review['id']}/{decision}", admin,
                                        f"review-{decision}", decided, **body)
    assert answer["status"] == ("merged" if decision == "merge" else "dismissed")  # not 409 "already decided"
    if decision == "merge":
        assert len(of(rt, "crm.lead.merged")) == 1 and len(client.get("/v1/merges", headers=admin).json["items"]) == 1
        assert rt.db.leads.find_one({"_id": first["id"]})["touchpoint_count"] == 2  # moved once, not twice
    else:
        assert len(of(rt, "crm.lead.duplicate_dismissed")) == 1
        assert rt.db.leads.find_one({"_id": second["id"]})["status"] != "merged"


def test_a_lead_merge_whose_reply_was_lost_answers_the_merged_lead(client, channel, admin, rt, monkeypatch):
    first = lead(client, channel, name="Zhao", email="zhao@b.cn")
    second = lead(client, channel, name="Qian", email="qian@b.cn")
    merged = lambda: rt.db.leads.find_one({"_id": second["id"]})["status"] == "merged"  # noqa: E731
    answer = retried_after_a_lost_reply(client, monkeypatch, f"/v1/leads/{second['id']}/merge", admin, "merge-1",
                                        merged, json={"into_id": first["id"]})
    assert (answer["id"], answer["status"]) == (second["id"], "merged")
    assert len(of(rt, "crm.lead.merged")) == 1
    assert rt.db.leads.find_one({"_id": first["id"]})["touchpoint_count"] == 2


def test_a_lead_import_whose_reply_was_lost_reports_the_leads_it_made(client, admin, new_channel, rt, monkeypatch):
    from lead_intake.intake import routes
    _, channel_id = new_channel("fair")
    real = routes.submit_rows

    def reply_lost(*args):  # every row commits, then the database restarts before the answer is stored
        monkeypatch.setattr(routes, "submit_rows", real)
        real(*args)
        from pymongo.errors import AutoReconnect
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(routes, "submit_rows", reply_lost)
    url, headers = f"/v1/leads:import?channel_id={channel_id}", {**admin, "Idempotency-Key": "lead-import-1"}
    csv = b"name,phone\nFeng,13600136021\nChen,13600136022\nno phone,\n"
    assert client.post(url, data=csv, content_type="text/csv", headers=headers).status_code == 503
    assert rt.db.leads.count_documents({}) == 2
    retry = client.post(url, data=csv, content_type="text/csv", headers=headers)
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert (retry.json["created"], retry.json["duplicates"], retry.json["rejected"]) == (2, 0, 1)
    assert sorted(r["id"] for r in retry.json["results"] if "id" in r) == sorted(
        lead["_id"] for lead in rt.db.leads.find())
    assert len(of(rt, "crm.lead.received")) == 2
