"""The shapes of the reports' JSON answers, for the OpenAPI (the views build the JSON themselves).

Amounts are decimal strings in yuan; rates are fractions (0.25), null when nothing was counted.
"""
import marshmallow as ma

F = ma.fields
Rate = lambda: F.Float(allow_none=True)  # noqa: E731 - one kind of field, named
Days = lambda: F.Float(allow_none=True)  # noqa: E731
Money = lambda: F.String(metadata={"description": "yuan, a decimal string such as \"1200.50\""})  # noqa: E731
Listing = lambda what: F.String(metadata={  # noqa: E731
    "description": f"the customer service's query that lists {what}, e.g. /v1/opportunities?stage=proposal&status=open"})


class FunnelStage(ma.Schema):
    stage, count, entered, advanced = F.String(), F.Integer(), F.Integer(), F.Integer()
    conversion_rate, expected_rate, avg_days = Rate(), Rate(), Days()
    expected_days = F.List(F.Integer(), allow_none=True, metadata={"description": "[fewest, most] days expected"})
    opportunities = Listing("the opportunities now in this stage")


class Funnel(ma.Schema):
    stages = F.List(F.Nested(FunnelStage))


class RepRow(ma.Schema):
    user_id, username = F.String(), F.String()
    new_customers, won, followups, overdue_reminders, held = (F.Integer() for _ in range(5))
    reminders_sent, reminders_failed = F.Integer(), F.Integer()
    tasks_done, tasks_done_late = F.Integer(), F.Integer()
    tasks_open_overdue = F.Integer(metadata={"description": "open tasks due before now"})
    won_amount = Money()
    avg_days = F.Dict(keys=F.String(), values=Days(), metadata={"description": "stage -> average days in it"})
    followups_per_week = F.Float()
    lost = F.Integer(metadata={"description": "deals lost in the period"})
    open_opportunities = F.Integer(metadata={"description": "open deals now"})
    pipeline_amount = Money()
    win_rate = F.Float(allow_none=True, metadata={
        "description": "won / (won + lost) of the deals closed in the period; null when none closed"})
    opportunities = Listing("the rep's open opportunities")
    won_opportunities = Listing("the rep's opportunities won in the period")


class Reps(ma.Schema):
    items = F.List(F.Nested(RepRow))


class ColdRow(ma.Schema):
    user_id, username = F.String(), F.String()
    counts = F.List(F.Integer(), metadata={"description": "customers per bucket, in the order of `buckets`"})


class GoingCold(ma.Schema):
    buckets = F.List(F.String())
    rows = F.List(F.Nested(ColdRow))


class ForecastMonth(ma.Schema):
    month, count = F.String(metadata={"description": "YYYY-MM"}), F.Integer()
    expected_amount, weighted_amount = Money(), Money()
    opportunities = Listing("the open opportunities expected to close in this month")


class Slippage(ma.Schema):
    count, total_days = F.Integer(), F.Integer()
    avg_days, max_days = Days(), F.Integer(allow_none=True)


class Forecast(ma.Schema):
    months = F.List(F.Nested(ForecastMonth))
    slippage = F.Nested(Slippage)


class ChannelRow(ma.Schema):
    channel, campaign = F.String(allow_none=True), F.String(allow_none=True)
    leads, duplicates, possible_duplicates, converted, won = (F.Integer() for _ in range(5))
    won_amount, conversion_rate = Money(), Rate()


class Channels(ma.Schema):
    items = F.List(F.Nested(ChannelRow))


class CycleRow(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # keyed by `grade` or `industry`
    count, median_days, mean_days = F.Integer(), F.Float(), F.Float()


class SalesCycle(ma.Schema):
    by_grade, by_industry = F.List(F.Nested(CycleRow)), F.List(F.Nested(CycleRow))


class PoolCounts(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # keyed by `pool_id`, or `user_id` and `username`
    reclaimed, claimed, returned, assigned = (F.Integer() for _ in range(4))


class PoolReport(ma.Schema):
    pools, reps = F.List(F.Nested(PoolCounts)), F.List(F.Nested(PoolCounts))


class RfmSegment(ma.Schema):
    segment, count = F.String(), F.Integer()


class RfmCustomer(ma.Schema):
    customer_id, name, owner_id, segment = F.String(), F.String(allow_none=True), F.String(allow_none=True), F.String()
    recency_days, frequency, r, f, m = (F.Integer() for _ in range(5))
    monetary = Money()


class Rfm(ma.Schema):
    segments = F.List(F.Nested(RfmSegment), metadata={"description": "counts per segment, without ?segment="})
    segment = F.String(metadata={"description": "with ?segment=: the segment listed"})
    items = F.List(F.Nested(RfmCustomer), metadata={"description": "with ?segment=: its customers"})


REPORTS = {"funnel": Funnel, "reps": Reps, "going-cold": GoingCold, "forecast": Forecast, "channels": Channels,
           "sales-cycle": SalesCycle, "pool": PoolReport, "rfm": Rfm}
