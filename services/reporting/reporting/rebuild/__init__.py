"""Rebuilding the read models from the event log, beside the live ones, and the admin's request for it."""
