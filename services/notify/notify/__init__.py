"""Reminders and notifications."""
