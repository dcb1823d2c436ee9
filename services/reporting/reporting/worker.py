"""Worker entrypoint: python -m reporting.worker (consumers and scheduled jobs)."""
from crm_common.service import run_worker

from .service import SPEC

if __name__ == "__main__":
    run_worker(SPEC)
