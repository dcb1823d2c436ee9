"""Webhook subscriptions: an app that does not speak Kafka registers an endpoint and the event types it
wants; notify posts each matching event to it as a Standard Webhook, in order per aggregate, retried
and parked as every outbound delivery is."""
