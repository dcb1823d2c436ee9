"""A CSV import takes what README's "Limits" promise (5 MiB, 5,000 rows), while every other route keeps
the 1 MiB body limit; past them, problem+json naming what is too large."""
import io
import json

MIB = 1024 * 1024


def csv_of_size(size: int, rows: int = 20) -> bytes:
    """`rows` customers whose notes fill the file to `size` bytes (each note far past the field's own limit)."""
    header = b"name,note\n"
    cell = (size - len(header)) // rows - len(b"Firm 00,\n")
    body = header + b"".join(b"Firm %02d,%s\n" % (n, b"n" * cell) for n in range(rows))
    return body[:-1] + b"n" * (size - len(body)) + b"\n"  # the last note fills the file exactly


def chunked(client, path, body: bytes, headers, content_type="text/csv"):
    """No Content-Length, as gunicorn hands a chunked upload on (its stream ends itself)."""
    return client.post(path, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": content_type})


def test_a_4_mib_csv_is_read_row_by_row_not_refused_for_its_size(org, client):
    body = csv_of_size(4 * MIB)
    for answer in (client.post("/v1/customers:import", data=body, content_type="text/csv",
                               headers=org.headers["alice"]),
                   client.post("/v1/customers:import", data={"file": (io.BytesIO(body), "big.csv")},
                               headers=org.headers["alice"]),
                   chunked(client, "/v1/customers:import", body, org.headers["alice"])):
        assert answer.status_code == 200, answer.data[:300]
        # every row was read: each is refused on its own, for a note past the note's limit
        assert answer.json["rejected"] == 20 and answer.json["created"] == 0
        assert {e["field"] for r in answer.json["results"] for e in r["errors"]} == {"note"}


def test_past_5_mib_a_csv_is_413_problem_json_and_nothing_is_imported(org, client, rt):
    body = b"name\n" + b"".join(b"Firm %d\n" % n for n in range(10)) + b"#" * (5 * MIB)
    for answer in (client.post("/v1/customers:import", data=body, content_type="text/csv",
                               headers=org.headers["alice"]),
                   client.post("/v1/customers:import", data={"file": (io.BytesIO(body), "big.csv")},
                               headers=org.headers["alice"]),
                   chunked(client, "/v1/customers:import", body, org.headers["alice"])):
        assert answer.status_code == 413 and answer.mimetype == "application/problem+json", answer.data[:300]
        assert str(5 * MIB) in answer.json["detail"]
    assert rt.db.customers.count_documents({"name": {"$regex": "^Firm "}}) == 0


def test_every_other_route_keeps_the_1_mib_body_limit(org, client):
    two_mib = {"name": "Big", "note": "n" * (2 * MIB)}
    answer = client.post("/v1/customers", json=two_mib, headers=org.headers["alice"])
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert str(MIB) in answer.json["detail"]
    assert chunked(client, "/v1/customers", json.dumps(two_mib).encode(), org.headers["alice"],
                   content_type="application/json").status_code == 413


def test_past_5000_rows_the_import_is_400_naming_the_file(org, client, rt):
    body = b"name\n" + b"".join(b"Row %d\n" % n for n in range(5001))
    answer = client.post("/v1/customers:import", data=body, content_type="text/csv", headers=org.headers["alice"])
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert answer.json["errors"] == [{"field": "file", "message": "too many rows"}]
    assert rt.db.customers.count_documents({"name": {"$regex": "^Row "}}) == 0
