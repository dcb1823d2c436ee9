"""The shape of the workbench, for the OpenAPI (the view builds the JSON itself)."""
import marshmallow as ma

F = ma.fields


class WorkbenchOut(ma.Schema):
    owner_id = F.String()
    today, overdue, stalled_high_intent, pinned = (F.List(F.Dict()) for _ in range(4))
    more = F.Dict(keys=F.String(), values=F.Boolean(), metadata={"description": "list -> it holds more than shown"})
