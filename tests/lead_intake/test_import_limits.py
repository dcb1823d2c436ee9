"""A lead CSV import takes what README's "Limits" promise (5 MiB, 5,000 rows); past them, problem+json."""
import io

MIB = 1024 * 1024


def csv_of_size(size: int, rows: int = 20) -> bytes:
    """`rows` leads whose notes fill the file to `size` bytes (each note past the field's own limit)."""
    header = b"name,phone,note\n"
    cell = (size - len(header)) // rows - len(b"Lead 00,138001380xx,\n")
    body = header + b"".join(b"Lead %02d,138001380%02d,%s\n" % (n, n, b"n" * cell) for n in range(rows))
    return body[:-1] + b"n" * (size - len(body)) + b"\n"


def test_a_4_mib_csv_is_read_and_past_5_mib_it_is_413(client, admin, new_channel, rt):
    _, channel_id = new_channel("fair")
    url = f"/v1/leads:import?channel_id={channel_id}"
    read = client.post(url, data=csv_of_size(4 * MIB), content_type="text/csv", headers=admin)
    assert read.status_code == 200, read.data[:300]
    assert read.json["rejected"] == 20 and {e["field"] for r in read.json["results"] for e in r["errors"]} == {"note"}
    for too_big in (client.post(url, data=csv_of_size(5 * MIB + 1), content_type="text/csv", headers=admin),
                    client.post(url, input_stream=io.BytesIO(csv_of_size(5 * MIB + 1)),
                                environ_overrides={"wsgi.input_terminated": True},
                                headers={**admin, "Transfer-Encoding": "chunked", "Content-Type": "text/csv"})):
        assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"
    assert rt.db.leads.count_documents({}) == 0
    # the other routes keep 1 MiB
    big = client.post("/v1/channels", json={"name": "x" * (2 * MIB)}, headers=admin)
    assert big.status_code == 413


def test_past_5000_rows_a_lead_import_is_400_naming_the_file(client, admin, new_channel, rt):
    _, channel_id = new_channel("fair")
    body = b"name,phone\n" + b"".join(b"L%d,139%08d\n" % (n, n) for n in range(5001))
    answer = client.post(f"/v1/leads:import?channel_id={channel_id}", data=body, content_type="text/csv",
                         headers=admin)
    assert answer.status_code == 400 and answer.json["errors"] == [{"field": "file", "message": "too many rows"}]
    assert rt.db.leads.count_documents({}) == 0
