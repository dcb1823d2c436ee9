"""The manager's dashboard page, its assets (static/) and the login and options it needs."""
