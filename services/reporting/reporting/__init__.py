"""Reports built from the event stream."""
