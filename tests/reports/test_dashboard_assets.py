"""The dashboard serves every asset itself, and the vendored chart library is the pinned file."""
import dataclasses
import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reporting.dashboard.routes import CUSTOMER_URL, STATIC

ECHARTS_SHA256 = "28515f26aa57f87eb1e4ed4eb446927eaf329b5f5e02b4bfd4b0264fea40d1da"


def test_the_page_and_its_assets_come_from_the_service_and_name_no_other_host(client):
    page = client.get("/dashboard")
    assert page.status_code == 200 and "text/html" in page.content_type
    html = page.get_data(as_text=True)
    script = client.get("/dashboard/static/dashboard.js").get_data(as_text=True)
    for text in (html, script, client.get("/dashboard/static/dashboard.css").get_data(as_text=True)):
        assert not re.search(r"(src|href|import)[^\n]*https?://", text)
    library = client.get("/dashboard/static/vendor/echarts-6.1.0.esm.min.js")
    assert library.status_code == 200 and hashlib.sha256(library.data).hexdigest() == ECHARTS_SHA256
    assert "Apache License" in (STATIC / "vendor" / "ECHARTS-LICENSE").read_text()


def test_a_login_with_no_password_is_a_400_not_a_call_to_the_customer_service(client):
    answer = client.post("/dashboard/login", json={"username": "admin"})
    assert answer.status_code == 400 and answer.content_type == "application/problem+json"


def test_a_throttled_login_answers_429_with_the_customer_services_retry_after(client, rt, monkeypatch):
    class Throttled(BaseHTTPRequestHandler):  # the customer service's answer past its login limit
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(429)
            self.send_header("Retry-After", "37")
            self.send_header("Content-Type", "application/problem+json")
            self.end_headers()
            self.wfile.write(b'{"status": 429}')

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttled)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(rt, "settings", dataclasses.replace(rt.settings, extra={
        **rt.settings.extra, CUSTOMER_URL: f"http://127.0.0.1:{server.server_port}"}))
    try:
        answer = client.post("/dashboard/login", json={"username": "admin", "password": "guess"})
    finally:
        server.shutdown()
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "37"
    assert answer.content_type == "application/problem+json"
