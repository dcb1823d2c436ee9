"""Reminders (DOMAIN §4): what falls due when (rules.py), kept as pending occurrences and fired by the
scheduling job, or raised at once by an event."""
