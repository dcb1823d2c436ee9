"""The CRM's events for internal apps: `Subscriber` (contract check, the services' version rule per
aggregate, commit after handling), `Event`, and each event's data typed in `crm_events.types`."""
from .subscriber import Event, Subscriber, Versions

__all__ = ["Event", "Subscriber", "Versions"]
