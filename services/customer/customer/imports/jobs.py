"""A customer CSV import of more than importjobs.SYNC_MAX_ROWS rows, run by the worker as a job."""
from __future__ import annotations

from crm_common import importjobs
from crm_common.kernel.scope import customer_scope

from . import csv_io

KIND = "customers"


def import_chunk(rt, job: dict, rows: list[dict], first: int, kept: dict, keep) -> list[dict]:
    """One chunk of the job's rows, imported as the synchronous import would, as the user who sent them."""
    visible = customer_scope(importjobs.principal_of(job))
    return csv_io.import_rows(rt, rows, owner=job["params"]["owner"], by=job["by"], visible=visible, first=first,
                              kept=kept, keep=keep)["results"]
