"""Contacts as recipients: customer contacts and leads, kept from events, with their consent per
channel, their opt-outs (the suppression list) and the outbox that queues messages to them."""
