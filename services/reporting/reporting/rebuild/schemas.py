"""The shape of a rebuild's state, for the OpenAPI."""
import marshmallow as ma

F = ma.fields


class Rebuild(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # the worker's progress notes (started_at, beat_at, result, error...)
    state = F.String(metadata={"description": "none, pending, running, done or failed"})
    live_prefix = F.String(allow_none=True)
    requested_at, requested_by = F.String(), F.String()
