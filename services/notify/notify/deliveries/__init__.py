"""Outbound deliveries: one row per message on an outbound channel, sent by the worker, retried with
backoff, then parked and visible to an admin."""
