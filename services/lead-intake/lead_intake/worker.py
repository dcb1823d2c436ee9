"""Worker entrypoint: python -m lead_intake.worker (consumers and scheduled jobs)."""
from crm_common.service import run_worker

from .service import SPEC

if __name__ == "__main__":
    run_worker(SPEC)
