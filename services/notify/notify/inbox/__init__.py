"""The in-app inbox: a user's notifications, listed and marked read."""
