"""Dev and test may move time and run jobs by hand; production has no such routes."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.testing.auth import signed_in
from pool.app import create_app

PROD_SECRET = "a-production-secret-of-enough-length"


@pytest.fixture
def make_app(app_for):
    return lambda **environ: app_for(create_app, "pool", **environ)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def admin(app):
    return signed_in(app.extensions["crm"])


def test_an_admin_moves_the_clock_and_reads_it_back(app, admin, make_app):
    client = app.test_client()
    moved = client.post("/v1/dev/clock", json={"offset_days": 3}, headers=admin)
    assert moved.status_code == 200 and moved.json["offset_days"] == 3
    shown = client.get("/v1/dev/clock", headers=admin).json
    assert shown["offset_days"] == 3
    now = datetime.fromisoformat(shown["now"])
    assert abs(now - (datetime.now(timezone.utc) + timedelta(days=3))) < timedelta(minutes=1)
    other_process = make_app().test_client()  # another gunicorn worker of the same service
    assert other_process.get("/v1/dev/clock", headers=admin).json["offset_days"] == 3


def test_only_an_admin_may_move_the_clock(app):
    client = app.test_client()
    rep = client.post("/v1/dev/clock", json={"offset_days": 3}, headers=signed_in(app.extensions["crm"], "u1", "rep"))
    assert rep.status_code == 403 and rep.mimetype == "application/problem+json"
    assert client.post("/v1/dev/clock", json={"offset_days": 3}).status_code == 401
    assert app.extensions["crm"].clock.offset() == timedelta(0)


def test_a_backwards_move_is_refused_with_the_field_named(app, admin):
    response = app.test_client().post("/v1/dev/clock", json={"offset_days": -1}, headers=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "offset_days"


def test_an_admin_runs_a_job_by_name(app, admin):
    client = app.test_client()
    client.post("/v1/dev/jobs/outbox-relay/run", headers=admin)  # what the start queued (the default pool)
    ran = client.post("/v1/dev/jobs/outbox-relay/run", headers=admin)
    assert ran.status_code == 200 and ran.json == {"job": "outbox-relay", "result": 0}  # nothing left to send
    unknown = client.post("/v1/dev/jobs/nothing/run", headers=admin)
    assert unknown.status_code == 404 and "reclaim-due" in unknown.json["detail"]


def test_production_has_no_dev_routes(make_app):
    app = make_app(CRM_ENV="prod", JWT_SECRET=PROD_SECRET)
    client, admin = app.test_client(), signed_in(app.extensions["crm"])
    assert client.get("/v1/dev/clock", headers=admin).status_code == 404
    assert client.post("/v1/dev/clock", json={"offset_days": 3}, headers=admin).status_code == 404
    assert client.post("/v1/dev/jobs/reclaim-due/run", headers=admin).status_code == 404
    assert not any(path.startswith("/v1/dev") for path in client.get("/openapi.json").json["paths"])
    assert app.extensions["crm"].clock.offset() == timedelta(0)


def test_moving_the_clock_back_does_not_stall_scheduled_jobs(app, admin):
    client, rt = app.test_client(), app.extensions["crm"]
    client.post("/v1/dev/clock", json={"offset_days": 30}, headers=admin)
    rt.scheduler.run_due()  # leases and next runs taken while time was moved
    client.post("/v1/dev/clock", json={"offset_days": 0}, headers=admin)
    leases = {lease["_id"]: lease for lease in rt.db.job_leases.find()}
    assert leases["reclaim-due"]["next_run_at"].replace(tzinfo=timezone.utc) < (
        datetime.now(timezone.utc) + timedelta(minutes=2)), "the job would wait for the moved time to come back"
