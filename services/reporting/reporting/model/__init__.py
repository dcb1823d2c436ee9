"""The read models, built from the event stream: how an event changes a record and what a record adds
to the tallies (pure rules), the handlers that apply them, and the versioned collections they fill."""
