"""Chaos in `make test`: 300 leads from 8 clients, every worker as two replicas, while the broker is
restarted, the lead-intake replica that relays is killed for good, a customer worker is killed and
restarted, and the database is restarted. Within 60 s of the last fault, with no manual step,
everything accepted has arrived exactly once in every service."""
from crm_common.testing import chaos


def test_the_system_converges_with_a_replica_lost_and_broker_worker_and_database_restarts(tmp_path):
    result = chaos.run(tmp_path, leads=300, clients=8, settle_seconds=60, replicas=2)
    print("\n" + "\n".join(f"chaos {name:40} {value}" for name, value in result.items()))
    assert result["faults"] == ["broker", "database", "replica-lost", "worker"]
    assert result["leads_accepted"] == 300
    assert result["leads_stored_once"] == result["leads_stored"] == 300
    assert result["converted"] == 100
    for count in ("converted_with_one_customer", "customers_with_one_pool_entry", "customers_with_one_report_row",
                  "customers_with_one_owner_inbox_item"):
        assert result[count] == 100, (count, result, f"logs in {tmp_path}")
    assert result["seconds_after_last_fault"] <= 60
