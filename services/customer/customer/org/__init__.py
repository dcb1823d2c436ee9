"""The organisation: users and login, the department tree, sales teams, and their API."""
