"""Which failed sends count against a row: only its own faults, never the broker's."""
import pytest
from kafka.errors import (CorruptRecordError, InvalidRecordError, InvalidTimestampError, KafkaConnectionError,
                          KafkaTimeoutError, LeaderNotAvailableError, MessageSizeTooLargeError,
                          NotEnoughReplicasError, NotLeaderForPartitionError, RecordListTooLargeError,
                          RequestTimedOutError)

from crm_common.outbox import NotAcked, is_row_error


@pytest.mark.parametrize("error", [MessageSizeTooLargeError, RecordListTooLargeError, InvalidRecordError,
                                   CorruptRecordError, InvalidTimestampError])
def test_a_row_the_broker_rejects_as_such_counts_an_attempt(error):
    assert is_row_error(error("rejected"))


@pytest.mark.parametrize("error", [KafkaTimeoutError, RequestTimedOutError, NotLeaderForPartitionError,
                                   LeaderNotAvailableError, NotEnoughReplicasError, KafkaConnectionError,
                                   NotAcked, ConnectionError])
def test_a_broker_or_partition_away_counts_no_attempt(error):
    assert not is_row_error(error("away"))
