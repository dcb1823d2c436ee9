"""The dashboard in headless Chromium: log in, see the JSON reports' numbers in the charts,
switch scope and language (issue 11, must-show 7). Saves a screenshot under the run's artifacts."""
import dataclasses
import os
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from crm_common import consumer
from crm_common.service import worker_handlers
from crm_common.testing.auth import bearer
from crm_common.testing.events import Link
from customer.app import create_app as create_customer_app
from reporting import service

from .browser import Browser, ensure_chromium
from .history import build

ARTIFACTS = Path(os.environ.get("CRM_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "test-artifacts"))


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def browser(tmp_path):
    chromium = Browser(ensure_chromium(), tmp_path / "profile")
    yield chromium
    chromium.close()


@pytest.fixture
def site(app, rt, app_for, at_now, monkeypatch):
    customers = app_for(create_customer_app, "customer")
    # reporting lets the admin in once crm.org has brought them (crm.user.created), as its worker would
    link = Link(customers.extensions["crm"], rt, "reporting", worker_handlers(service.SPEC, rt))
    link.flow("crm.user.created")
    # one deal of the customer service's, which the funnel's drill-down lists
    crm = customers.extensions["crm"]
    admin, desk = bearer(crm.settings, crm.db.users.find_one({"username": "admin"})["_id"]), customers.test_client()
    acme = desk.post("/v1/customers", headers=admin, json={"name": "Acme", "contacts": [
        {"name": "Zhang Wei", "phones": ["13900139002"]}]}).json["id"]
    assert desk.post(f"/v1/customers/{acme}/opportunities", headers=admin, json={
        "name": "Renewal 2027", "amount": 80000, "expected_close_date": "2027-03-15"}).status_code == 201
    link.flow()
    customer_server, customer_url = serve(customers)
    monkeypatch.setattr(rt, "settings", dataclasses.replace(rt.settings, extra={
        **rt.settings.extra, "REPORTING_CUSTOMER_URL": customer_url}))
    handlers = service.live_handlers(rt)
    for event in build(rt):
        consumer.deliver(rt, "reporting", handlers, event)
    server, url = serve(app)
    yield url
    server.shutdown()
    customer_server.shutdown()


def drawn(browser, chart: str, series: int = 0):
    return browser.evaluate(f"echarts.getInstanceByDom(document.getElementById('{chart}'))"
                            f".getOption().series[{series}].data")


def click_bar(browser, chart: str, index: int) -> None:
    """A mouse click, as a person makes it, low on a bar (bars grow from the axis as they are drawn)."""
    x, y = browser.evaluate(f"""(() => {{
        const box = document.getElementById('{chart}'), c = echarts.getInstanceByDom(box);
        box.scrollIntoView();
        const [x, y] = c.convertToPixel({{seriesIndex: 0}}, [{index}, c.getOption().series[0].data[{index}] / 4]);
        const at = box.getBoundingClientRect();
        return [at.left + x, at.top + y]; }})()""")
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


def click_until(browser, chart: str, index: int, expression: str, tries: int = 5):
    """Click a bar until `expression` holds, as a person clicks again when a bar still growing missed it."""
    for _ in range(tries):
        click_bar(browser, chart, index)
        try:
            return browser.wait_for(expression, timeout=4.0)
        except AssertionError:
            continue
    raise AssertionError(f"{tries} clicks on {chart}[{index}] and still false: {expression}")


def test_a_manager_logs_in_and_the_charts_show_the_reports_numbers(site, browser):
    browser.send("Page.navigate", url=f"{site}/dashboard")
    browser.wait_for("document.readyState === 'complete' && !!window.dashboard")
    browser.evaluate("""(() => {
        const form = document.getElementById('login');
        form.username.value = 'admin'; form.password.value = 'wrong';
        form.querySelector('button').click(); })()""")
    assert browser.wait_for("document.getElementById('login-error').textContent") == "用户名或密码错误"
    browser.evaluate("""(() => {
        const form = document.getElementById('login');
        form.password.value = 'admin-test-password'; form.querySelector('button').click(); })()""")
    browser.wait_for("window.dashboard.ready")
    token = browser.evaluate("sessionStorage.getItem('token')")

    def report(name, **params):
        return requests.get(f"{site}/v1/reports/{name}", params=params,
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()

    funnel, cold = report("funnel"), report("going-cold")
    assert drawn(browser, "chart-funnel") == [s["count"] for s in funnel["stages"]] == [3, 0, 1, 0, 0, 1, 1]
    assert drawn(browser, "chart-funnel", 1) == [s["conversion_rate"] for s in funnel["stages"]]
    # a click on the first stage's bar lists its opportunities, as the customer service has them
    assert click_until(browser, "chart-funnel", 0, "window.dashboard.drill?.listing") == funnel["stages"][0][
        "opportunities"]
    assert browser.wait_for("!document.getElementById('drill-panel').hidden")
    assert browser.evaluate("[...document.querySelectorAll('#drill tr[data-opportunity]')]"
                            ".map(r => [r.children[0].textContent, r.children[2].textContent])") == [
        ["Renewal 2027", "80000.00"]]
    refused = requests.get(f"{site}/dashboard/opportunities", params={"status": "maybe"}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})  # the customer service's 400, passed on
    assert (refused.status_code, refused.headers["Content-Type"], refused.json()["errors"][0]["field"]) == (
        400, "application/problem+json", "status")
    assert drawn(browser, "chart-cold") == [[x, y, n] for y, row in enumerate(cold["rows"])
                                            for x, n in enumerate(row["counts"])]
    assert drawn(browser, "chart-channels") == [c["leads"] for c in report("channels")["items"]]
    assert drawn(browser, "chart-forecast") == [float(m["expected_amount"]) for m in report("forecast")["months"]]
    assert drawn(browser, "chart-rfm") == [s["count"] for s in report("rfm")["segments"]]
    rows = browser.evaluate("[...document.querySelectorAll('#table-reps tr[data-user]')]"
                            ".map(r => [r.dataset.user, r.children[3].textContent, r.children[7].textContent])")
    assert rows == [[i["user_id"], i["won_amount"], str(i["held"])] for i in report("reps")["items"]]

    # the scope switch and the period picker: department east, June 5th to 10th
    assert browser.evaluate("[...document.querySelector('[name=department_id]').options].map(o => o.text)") == [
        "全部", "总部", "华东", "华西"]
    browser.evaluate("""(() => {
        const form = document.getElementById('controls');
        form.department_id.value = 'd-east'; form.from.value = '2026-06-05'; form.to.value = '2026-06-10';
        window.dashboard.ready = false; form.querySelector('button').click(); })()""")
    browser.wait_for("window.dashboard.ready")
    east = report("funnel", department_id="d-east", **{"from": "2026-06-05", "to": "2026-06-10"})
    assert drawn(browser, "chart-funnel") == [s["count"] for s in east["stages"]] == [0, 0, 1, 0, 0, 0, 1]

    browser.evaluate("document.getElementById('lang').click()")
    assert browser.evaluate("document.querySelector('[data-t=funnel]').textContent") == "Funnel"
    assert browser.evaluate("document.getElementById('login').hidden") is True
    time.sleep(1.5)  # the charts' grow animation
    browser.screenshot(ARTIFACTS / "dashboard.png")
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
