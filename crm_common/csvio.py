"""CSV in and out: imports with a per-row report, exports as a download.

Spreadsheets from Chinese desktops often save CSV as GB18030 rather than UTF-8;
both are read, and UTF-8 is written with a BOM so Excel opens it right.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

from flask import Response, request

from . import limits
from .errors import Problem

MAX_IMPORT_BYTES = 5 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# `@blp.doc(**UPLOAD_DOC)` on an import route: the two ways uploaded_text takes a CSV
UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


def upload(view):
    """Under `@blp.route` of an import route: it takes a CSV of up to MAX_IMPORT_BYTES, while every other
    route keeps the app's 1 MiB; past it, 413."""
    return limits.body_up_to(MAX_IMPORT_BYTES)(view)


def uploaded_text() -> str:
    """The CSV of a request: a multipart `file` field or the raw body (text/csv)."""
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else request.get_data(cache=False)
    if len(raw) > MAX_IMPORT_BYTES:
        raise Problem(413, f"a CSV import is at most {MAX_IMPORT_BYTES} bytes")
    if not raw.strip():
        raise Problem(400, "the CSV is empty", errors=[{"field": "file", "message": "no rows"}])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Problem(400, "the CSV is neither UTF-8 nor GB18030", errors=[{"field": "file", "message": "encoding"}])


def read_rows(text: str, *, max_rows: int) -> list[dict]:
    """Rows as dicts keyed by the header, blank cells left out."""
    csv.field_size_limit(MAX_IMPORT_BYTES)  # a cell may be as long as the file; the fields' schemas refuse it
    reader = csv.DictReader(io.StringIO(text))
    try:
        if not reader.fieldnames:
            raise Problem(400, "the CSV has no header row", errors=[{"field": "file", "message": "no header"}])
        rows = []
        for row in reader:
            if len(rows) == max_rows:
                raise Problem(400, f"a CSV import has at most {max_rows} rows",
                              errors=[{"field": "file", "message": "too many rows"}])
            rows.append({k.strip(): v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()})
    except csv.Error as exc:  # e.g. a NUL byte: the file is not a CSV a spreadsheet wrote
        raise Problem(400, "the file is not a readable CSV",
                      errors=[{"field": "file", "message": f"line {reader.line_num}: {exc}"}]) from None
    return rows


def download(rows: Iterable[dict], columns: list[str], filename: str) -> Response:
    def generate():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        buffer.write("\ufeff")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()
    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def cell(value) -> str:
    """A value as a CSV cell that a spreadsheet shows as text: the one escaping rule of every export."""
    return _cell(value)


def _cell(value) -> str:
    if value is None:
        return ""
    # a joined list is one cell too, and escaped like any other
    text = ";".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    # A cell starting with = + - @, a tab or a carriage return would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in FORMULA_STARTS else text
