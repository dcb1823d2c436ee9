"""A worker replica stopped the way an orchestrator stops a pod (SIGTERM) in the middle of a load:
customer and reporting run two worker replicas each, and the one of each that holds the outbox
relay's lease is stopped when half the leads are in. It exits 0 within its drain time (well inside
the chart's grace period), the other replica takes all its partitions in one rebalance and its
relay at once, and every accepted lead is applied exactly once everywhere. Stopped with the broker
gone as well, a worker still exits within its drain time."""
import threading
import time
from pathlib import Path

import yaml

from crm_common import outbox, worker
from crm_common.kafka import CONSUMER_TIMEOUTS
from crm_common.testing import chaos

LEADS = 150
STOPPED = ("customer", "reporting")  # customer relays every conversion; reporting folds every event
GRACE = yaml.safe_load((Path(__file__).resolve().parents[2] / "deploy/helm/crm/values.yaml").read_text())["defaults"]["worker"]["terminationGracePeriodSeconds"]


def test_a_replica_stopped_mid_load_hands_over_at_once_and_nothing_is_applied_twice_or_lost(tmp_path):
    stack = chaos.Stack(tmp_path, replicas=dict.fromkeys(STOPPED, 2), worker_env={"LOG_LEVEL": "INFO"})
    halfway, loaded = threading.Event(), {}
    try:
        stack.start()

        def load():
            loaded["leads"] = chaos.load(stack, LEADS, 8, lambda done: done >= LEADS // 2 and halfway.set())
        loader = threading.Thread(target=load)
        loader.start()
        assert halfway.wait(180), "the load did not reach half way"

        stopping = {}
        for service in STOPPED:
            victim = stack.lease_holder(service) or f"{service}-worker-1"
            other = next(n for n in (f"{service}-worker-1", f"{service}-worker-2") if n != victim)
            held = {n: (stack.assignments(n) or [(0, set())])[-1][1] for n in (victim, other)}
            assert held[victim], f"{victim} held no partitions when stopped: nothing to hand over"
            stopping[service] = {"victim": victim, "other": other, "all": held[victim] | held[other]}
        sent_at = time.time()
        exits = {}
        terminations = [threading.Thread(target=lambda s=s: exits.__setitem__(s, stack.terminate(stopping[s]["victim"])))
                        for s in STOPPED]
        for thread in terminations:
            thread.start()

        relay_at = {}
        while len(relay_at) < len(STOPPED) and time.time() - sent_at < 60:
            for service in STOPPED:
                if service not in relay_at and stack.lease_holder(service) == stopping[service]["other"]:
                    relay_at[service] = time.time() - sent_at
            time.sleep(0.1)
        for thread in terminations:
            thread.join()
        loader.join()
        accepted, converted = loaded["leads"]

        deadline = time.monotonic() + 60
        while not chaos.converged(result := chaos.counts(stack, accepted, converted)) and time.monotonic() < deadline:
            time.sleep(1)

        for service in STOPPED:
            victim, other = stopping[service]["victim"], stopping[service]["other"]
            code, seconds = exits[service]
            taken = stack.assignments(other, since=sent_at)
            print(f"\nsigterm {victim}: exit {code} after {seconds:.1f}s (drain {worker.DRAIN_SECONDS}s, grace {GRACE}s); "
                  f"{other} took all {len(stopping[service]['all'])} partitions "
                  f"{taken[0][0] - sent_at if taken else float('nan'):.1f}s after SIGTERM, the relay "
                  f"{relay_at.get(service, float('nan')):.1f}s after")
            assert code == 0, (victim, f"logs in {tmp_path}")
            assert seconds < worker.DRAIN_SECONDS < GRACE
            log = (tmp_path / f"{victim}.log").read_text()
            assert '"worker stopped"' in log and "still running after the drain" not in log
            # One rebalance: the first assignment after the stop is every partition of the group,
            # and it came, once the stopped replica had left, sooner than the session timeout would
            # have evicted a silent member (the one left takes them at its next poll, after its batch).
            assert taken and taken[0][1] == stopping[service]["all"], (other, taken)
            assert taken[0][0] - (sent_at + seconds) < CONSUMER_TIMEOUTS["session_timeout_ms"] / 1000
            # The lease was let go, not left to expire (10 s): the other replica relays at once.
            assert relay_at[service] < 5
        print(f"sigterm counts: {result}")
        assert result["leads_accepted"] == result["leads_stored_once"] == result["leads_stored"] == LEADS
        assert result["converted"] == LEADS // 3
        for count in ("converted_with_one_customer", "customers_with_one_pool_entry", "customers_with_one_report_row",
                      "customers_with_one_owner_inbox_item"):
            assert result[count] == LEADS // 3, (count, result, f"logs in {tmp_path}")
        assert stack.db("customer").outbox.count_documents({"status": {"$ne": outbox.SENT}}) == 0

        # With the broker gone too (Ctrl-C under `make run` stops both at once), the drain stays bounded.
        stack.kill("kafka")
        survivor = stopping["customer"]["other"]
        code, seconds = stack.terminate(survivor)
        print(f"sigterm {survivor} with the broker gone: exit {code} after {seconds:.1f}s")
        assert code == 0 and seconds < worker.DRAIN_SECONDS
    finally:
        stack.stop()
