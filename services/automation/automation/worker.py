"""Worker entrypoint: python -m automation.worker (the rules' consumer, its relay)."""
from crm_common.service import run_worker

from .service import SPEC

if __name__ == "__main__":
    run_worker(SPEC)
