"""A transaction retried after a transient error starts afresh: its first command may be a
cross-collection bulkWrite (lead intake's one write), which SecantusDB refuses with a readConcern."""
from pymongo import InsertOne, MongoClient
from pymongo.errors import OperationFailure

from crm_common.mongo import in_transaction


def test_a_retried_transaction_can_open_with_a_bulk_write(servers):
    client = MongoClient(servers.mongo_uri)
    db = client["crm_retry_test"]
    db.create_collection("things")
    attempts = []

    def work(session):
        attempts.append(1)
        client.bulk_write([InsertOne({"n": len(attempts)}, namespace=f"{db.name}.things")], session=session)
        if len(attempts) == 1:  # as a write conflict with a concurrent request would
            raise OperationFailure("write conflict", 112, {"errorLabels": ["TransientTransactionError"]})
    try:
        in_transaction(client, work)
        assert len(attempts) == 2 and [d["n"] for d in db.things.find()] == [2]
    finally:
        client.drop_database(db.name)
        client.close()
