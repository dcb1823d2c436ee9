"""python -m reporting.rebuild: rebuild the read models now, from the first event (the same as
POST /v1/reports:rebuild, without waiting for the worker)."""
import logging

from crm_common.service import bootstrap

from ..service import SPEC
from .versions import run

log = logging.getLogger(__name__)


def main() -> None:
    rt = bootstrap(SPEC)
    try:
        print(run(rt, on_progress=lambda n: n % 10000 == 0 and n and log.info("%d events applied", n)))
    finally:
        rt.close()


if __name__ == "__main__":
    main()
