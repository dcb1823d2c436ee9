"""The shape of the workbench, for the OpenAPI (the view builds the JSON itself)."""
import marshmallow as ma

F = ma.fields
# Ten years: a customer in one stage longer than that is not "stalled this week" for anyone.
MAX_STALLED_DAYS = 3650


class WorkbenchOut(ma.Schema):
    owner_id = F.String()
    today, overdue, stalled_high_intent, pinned = (F.List(F.Dict()) for _ in range(4))
    tasks_today = F.List(F.Dict(), metadata={"description": "open tasks due from now to the end of today"})
    tasks_overdue = F.List(F.Dict(), metadata={"description": "open tasks due before now"})
    more = F.Dict(keys=F.String(), values=F.Boolean(), metadata={"description": "list -> it holds more than shown"})


class WorkbenchQuery(ma.Schema):
    """What the workbench reads from its query, each bounded: an out-of-range number is a 400 naming it."""
    class Meta:
        unknown = ma.EXCLUDE  # like the reports: a parameter the screen does not know changes nothing

    owner_id = F.String(validate=ma.validate.Length(min=1, max=64),
                        metadata={"description": "a rep in the caller's scope (managers, admins); default: the caller"})
    tz = F.String(validate=ma.validate.Length(min=1, max=64),
                  metadata={"description": "the IANA time zone that bounds today, e.g. Asia/Shanghai"})
    stalled_days = F.Integer(strict=False, validate=ma.validate.Range(min=1, max=MAX_STALLED_DAYS), metadata={
        "description": "high intent, but in its stage at least this many days (default REPORTING_STALLED_DAYS)"})
